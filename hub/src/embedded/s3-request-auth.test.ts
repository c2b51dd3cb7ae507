import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { describe, expect, it } from 'vitest';
import { checkS3Signature } from './s3-request-auth.js';

const credentials = { accessKeyId: 'GICTESTKEY', secretAccessKey: 'test-secret-key' };
const client = new S3Client({
  region: 'us-east-1',
  endpoint: 'http://127.0.0.1:9000',
  forcePathStyle: true,
  credentials,
});

/** A presigned GET as the SDK makes it (a foreign signer: not the code under test), path and query. */
async function presigned(disposition: string): Promise<{ url: string; host: string }> {
  const signed = new URL(
    await getSignedUrl(
      client,
      new GetObjectCommand({ Bucket: 'b', Key: 'k.mp4', ResponseContentDisposition: disposition }),
      { expiresIn: 300 },
    ),
  );
  return { url: `${signed.pathname}${signed.search}`, host: signed.host };
}

describe('checkS3Signature (presigned URLs signed by the AWS SDK)', () => {
  it('lets a URL signed with the pair through, and refuses it altered or signed with another', async () => {
    const { url, host } = await presigned('attachment; filename="case.mp4"');
    expect(checkS3Signature({ method: 'GET', url, headers: { host } }, credentials)).toBeUndefined();
    expect(
      checkS3Signature({ method: 'GET', url: url.replace('k.mp4', 'x.mp4'), headers: { host } }, credentials),
    ).toBeDefined();
    expect(
      checkS3Signature(
        { method: 'GET', url, headers: { host } },
        { ...credentials, secretAccessKey: 'other' },
      ),
    ).toBeDefined();
  });

  it("reads the whole query after the first '?', a raw '?' in a value included", async () => {
    const { url, host } = await presigned('attachment; filename="why?.mp4"');
    expect(url).toContain('%3F');
    // The same request with the '?' sent unencoded (as some clients do): the same signature holds.
    const raw = url.replace('%3F', '?');
    expect(raw.split('?')).toHaveLength(3);
    expect(checkS3Signature({ method: 'GET', url: raw, headers: { host } }, credentials)).toBeUndefined();
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectStore } from '../storage/object-store.js';
import { embeddedStore } from '../testing/embedded-store.js';
import { type EmbeddedS3Handle, startEmbeddedS3 } from './embedded-s3.js';

describe('the embedded S3 server answers only requests signed with its key pair', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-s3-auth-'));
  let s3: EmbeddedS3Handle;
  let store: ObjectStore;
  const storeWith = (accessKeyId: string, secretAccessKey: string) =>
    new ObjectStore({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      accessKeyId,
      secretAccessKey,
      bucket: 'gic-test',
      forcePathStyle: true,
    });

  beforeAll(async () => {
    s3 = await startEmbeddedS3(dir, 0, 'gic-test');
    store = embeddedStore(s3);
    await store.put('videos/p1/masked.mp4', 'the procedure', 'video/mp4');
  });
  afterAll(async () => {
    store.close();
    await s3.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("makes a fresh random pair unless given one, never s3rver's fixed one", () => {
    expect(s3.credentials.accessKeyId).not.toBe('S3RVER');
    expect(s3.credentials.secretAccessKey.length).toBeGreaterThanOrEqual(40);
  });

  it('refuses anonymous reads, listings and writes', async () => {
    for (const [method, path, body] of [
      ['GET', '/gic-test/videos/p1/masked.mp4', undefined],
      ['GET', '/gic-test?list-type=2', undefined],
      ['GET', '/', undefined],
      ['PUT', '/gic-test/videos/p1/planted.mp4', 'planted'],
      ['DELETE', '/gic-test/videos/p1/masked.mp4', undefined],
    ] as const) {
      const res = await fetch(`${s3.endpoint}${path}`, { method, ...(body ? { body } : {}) });
      const text = await res.text();
      expect(res.status, `${method} ${path}: ${text}`).toBe(403);
      expect(text).toContain('<Code>AccessDenied</Code>');
    }
    expect(await store.size('videos/p1/planted.mp4')).toBeUndefined();
    expect((await store.readAll('videos/p1/masked.mp4')).toString()).toBe('the procedure');
  });

  it("refuses s3rver's public pair and a wrong secret", async () => {
    const publicPair = storeWith('S3RVER', 'S3RVER');
    await expect(publicPair.readAll('videos/p1/masked.mp4')).rejects.toThrow(/Access Key Id/);
    publicPair.close();
    const wrongSecret = storeWith(s3.credentials.accessKeyId, 'not-the-secret');
    await expect(wrongSecret.readAll('videos/p1/masked.mp4')).rejects.toThrow(/signature/i);
    await expect(wrongSecret.put('videos/p1/planted.mp4', 'x', 'video/mp4')).rejects.toThrow(/signature/i);
    wrongSecret.close();
    expect(await store.size('videos/p1/planted.mp4')).toBeUndefined();
  });

  it('takes a presigned URL as signed, and refuses it changed or expired', async () => {
    const url = await store.presignGet('videos/p1/masked.mp4', { internal: true, expiresIn: 60 });
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('the procedure');
    // Another object under the same signature.
    const other = await fetch(url.replace('masked.mp4', 'raw.mp4'));
    expect(other.status).toBe(403);
    expect(await other.text()).toContain('SignatureDoesNotMatch');
    // A longer life than it was signed for.
    const longer = await fetch(url.replace('X-Amz-Expires=60', 'X-Amz-Expires=600'));
    expect(longer.status).toBe(403);
    // Signed an hour ago for a minute (the credential's scope dated the same day as the signature,
    // as a signer makes it: in the first hour of a UTC day, an hour ago is the day before).
    const old = new URL(url);
    const at = new Date(Date.now() - 3600_000).toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
    old.searchParams.set('X-Amz-Date', at);
    old.searchParams.set(
      'X-Amz-Credential',
      old.searchParams.get('X-Amz-Credential')!.replace(/\/\d{8}\//, `/${at.slice(0, 8)}/`),
    );
    const expired = await fetch(old);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('Request has expired');
  });

  it('answers a client we did not write (curl --aws-sigv4) signed with the pair, and refuses it with another', () => {
    const get = (secret: string) =>
      execFileSync(
        'curl',
        [
          '-s',
          '-w',
          '\n%{http_code}',
          // S3 wants the payload's hash declared; curl 7.88 sends it only when told.
          '-H',
          'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
          '--aws-sigv4',
          'aws:amz:us-east-1:s3',
          '--user',
          `${s3.credentials.accessKeyId}:${secret}`,
          `${s3.endpoint}/gic-test/videos/p1/masked.mp4`,
        ],
        { encoding: 'utf8' },
      );
    expect(get(s3.credentials.secretAccessKey)).toBe('the procedure\n200');
    const refused = get('wrong');
    expect(refused.endsWith('\n403')).toBe(true);
    expect(refused).toContain('SignatureDoesNotMatch');
  });
});

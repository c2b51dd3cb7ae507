import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CopyObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectStore } from '../storage/object-store.js';
import { embeddedStore } from '../testing/embedded-store.js';
import { type EmbeddedS3Handle, startEmbeddedS3 } from './embedded-s3.js';

const MIB = 1024 * 1024;
const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

describe('the embedded S3 server copies a part from a stored object (UploadPartCopy)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-s3-part-copy-'));
  let s3: EmbeddedS3Handle;
  let store: ObjectStore;
  const source = randomBytes(12 * MIB + 321);

  beforeAll(async () => {
    s3 = await startEmbeddedS3(dir, 0, 'gic-test');
    store = embeddedStore(s3);
    await store.put('videos/a b/source.mp4', source, 'video/mp4');
  });
  afterAll(async () => {
    store.close();
    await s3.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('joins copied ranges and sent parts byte for byte, each copied part with the MD5 of its bytes', async () => {
    const key = 'exports/joined.zip';
    const uploadId = await store.startMultipart(key, 'application/zip');
    const head = randomBytes(5 * MIB + 3);
    const etags = [
      await store.uploadPart(key, uploadId, 1, head),
      // Two ranges of the source (a key with a space, encoded in x-amz-copy-source), the second its end.
      await store.copyPart(key, uploadId, 2, 'videos/a b/source.mp4', 100, 100 + 5 * MIB - 1),
      await store.copyPart(key, uploadId, 3, 'videos/a b/source.mp4', 6 * MIB, source.length - 1),
      await store.uploadPart(key, uploadId, 4, Buffer.from('tail')),
    ];
    expect(etags[1]).toBe(`"${md5(source.subarray(100, 100 + 5 * MIB))}"`);
    expect(etags[2]).toBe(`"${md5(source.subarray(6 * MIB))}"`);
    await store.completeMultipart(
      key,
      uploadId,
      etags.map((etag, i) => ({ partNumber: i + 1, etag })),
    );
    const whole = Buffer.concat([
      head,
      source.subarray(100, 100 + 5 * MIB),
      source.subarray(6 * MIB),
      Buffer.from('tail'),
    ]);
    expect((await store.readAll(key)).equals(whole)).toBe(true);
  });

  it('keeps the bytes a part was copied from: the object replaced by a PUT and a CopyObject, then deleted, before the upload completes', async () => {
    const original = randomBytes(6 * MIB + 5);
    await store.put('videos/changing.mp4', original, 'video/mp4');
    const key = 'exports/snapshot.zip';
    const uploadId = await store.startMultipart(key, 'application/zip');
    const etags = [
      await store.copyPart(key, uploadId, 1, 'videos/changing.mp4', 0, 5 * MIB - 1),
      await store.copyPart(key, uploadId, 2, 'videos/changing.mp4', 5 * MIB, original.length - 1),
    ];
    const replacement = randomBytes(7 * MIB);
    await store.put('videos/changing.mp4', replacement, 'video/mp4');
    expect((await store.readAll('videos/changing.mp4')).equals(replacement)).toBe(true);
    await store.client.send(
      new CopyObjectCommand({
        Bucket: 'gic-test',
        Key: 'videos/changing.mp4',
        CopySource: 'gic-test/videos/a b/source.mp4',
      }),
    );
    expect((await store.readAll('videos/changing.mp4')).equals(source)).toBe(true);
    await store.delete('videos/changing.mp4');
    await store.completeMultipart(
      key,
      uploadId,
      etags.map((etag, i) => ({ partNumber: i + 1, etag })),
    );
    expect((await store.readAll(key)).equals(original)).toBe(true);
    // Nothing of the upload is left beside the objects: no part, link or joined file.
    const uploads = join(dir, 'gic-test', '._S3rver_uploads');
    expect(readdirSync(uploads).filter((d) => d === uploadId)).toEqual([]);
  });

  it('lets a part sent over HTTP replace a copied one under the same number, and the other way round', async () => {
    const key = 'exports/replaced-parts.zip';
    const uploadId = await store.startMultipart(key, 'application/zip');
    const sent = randomBytes(5 * MIB + 1);
    await store.copyPart(key, uploadId, 1, 'videos/a b/source.mp4', 0, 5 * MIB);
    const first = await store.uploadPart(key, uploadId, 1, sent);
    await store.uploadPart(key, uploadId, 2, randomBytes(100));
    const second = await store.copyPart(key, uploadId, 2, 'videos/a b/source.mp4', 7, 1006);
    await store.completeMultipart(key, uploadId, [
      { partNumber: 1, etag: first },
      { partNumber: 2, etag: second },
    ]);
    const whole = Buffer.concat([sent, source.subarray(7, 1007)]);
    expect((await store.readAll(key)).equals(whole)).toBe(true);
  });

  it('says plainly what is wrong with a copy: no such object, no such upload, a range past the end', async () => {
    const key = 'exports/refused.zip';
    const uploadId = await store.startMultipart(key, 'application/zip');
    await expect(store.copyPart(key, uploadId, 1, 'videos/missing.mp4', 0, 10)).rejects.toThrow(
      /specified key does not exist/,
    );
    await expect(store.copyPart(key, 'no-such-upload', 1, 'videos/a b/source.mp4', 0, 10)).rejects.toThrow(
      /specified upload does not exist/,
    );
    await expect(store.copyPart(key, uploadId, 1, 'videos/a b/source.mp4', 0, source.length)).rejects.toThrow(
      /bytes=first-last .* within the object's 12583233 bytes/,
    );
    await expect(store.copyPart(key, uploadId, 1, 'videos/a b/source.mp4', 10, 5)).rejects.toThrow(
      /x-amz-copy-source-range/,
    );
    // A part copied before a refused copy under its number stays as it was.
    const kept = await store.copyPart(key, uploadId, 2, 'videos/a b/source.mp4', 3, 12);
    await store.put('videos/other.mp4', randomBytes(100), 'video/mp4');
    await expect(store.copyPart(key, uploadId, 2, 'videos/other.mp4', 0, 100)).rejects.toThrow(
      /x-amz-copy-source-range/,
    );
    await store.completeMultipart(key, uploadId, [{ partNumber: 2, etag: kept }]);
    expect((await store.readAll(key)).equals(source.subarray(3, 13))).toBe(true);
    // The server still answers (nothing it was sent stopped it).
    expect((await store.readAll('videos/a b/source.mp4')).length).toBe(source.length);
  });
});

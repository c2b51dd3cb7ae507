import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectStore } from '../storage/object-store.js';
import { type EmbeddedS3Handle, startEmbeddedS3 } from './embedded-s3.js';
import { removeAbandonedUploads } from './s3rver-uploads.js';

const BUCKET = 'gic-recordings';

/** Starts a multipart upload and sends its first part (6 MiB of `fill`), as a writer that then dies would. */
async function sendOnePart(store: ObjectStore, key: string, fill: number): Promise<string> {
  const uploadId = await store.startMultipart(key, 'video/mp4');
  await store.uploadPart(key, uploadId, 1, Buffer.alloc(6 * 1024 * 1024, fill));
  return uploadId;
}

describe('multipart uploads on the embedded S3 server: aborted, and abandoned ones removed', () => {
  const root = mkdtempSync(join(tmpdir(), 'gic-s3-uploads-'));
  const dir = join(root, 's3');
  const uploadsDir = join(dir, BUCKET, '._S3rver_uploads');
  let s3: EmbeddedS3Handle;
  let store: ObjectStore;
  beforeAll(async () => {
    s3 = await startEmbeddedS3(dir, 0, BUCKET);
    store = new ObjectStore({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      ...s3.credentials,
      bucket: BUCKET,
      forcePathStyle: true,
    });
  }, 30_000);
  afterAll(async () => {
    store?.close();
    await s3?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('aborts an upload as S3 does: its parts are gone, an object of the same key is untouched', async () => {
    await store.put('videos/p/copy.mp4', Buffer.from('the earlier object'), 'video/mp4');
    const uploadId = await sendOnePart(store, 'videos/p/copy.mp4', 7);
    expect(readdirSync(uploadsDir)).toEqual([uploadId]);
    expect(readdirSync(join(uploadsDir, uploadId!))).toContain('1');
    // Another key cannot abort it (NoSuchUpload), nor can a made-up id.
    expect(await store.abortMultipart('videos/p/other.mp4', uploadId!)).toBe(false);
    expect(await store.abortMultipart('videos/p/copy.mp4', '0'.repeat(32))).toBe(false);
    expect(await store.abortMultipart('videos/p/copy.mp4', '../../x')).toBe(false);
    expect(existsSync(join(uploadsDir, uploadId!))).toBe(true);
    expect(await store.abortMultipart('videos/p/copy.mp4', uploadId!)).toBe(true);
    expect(readdirSync(uploadsDir)).toEqual([]);
    // Aborted twice: there is no such upload any more.
    expect(await store.abortMultipart('videos/p/copy.mp4', uploadId!)).toBe(false);
    expect((await store.readAll('videos/p/copy.mp4')).toString()).toBe('the earlier object');
  });

  it('removes uploads untouched for the given age, and keeps one touched within it', async () => {
    const uploadId = await sendOnePart(store, 'videos/p/abandoned.mp4', 1);
    // Not old enough (a day by default): kept.
    expect(await removeAbandonedUploads(uploadsDir)).toEqual({ files: 0, bytes: 0 });
    expect(existsSync(join(uploadsDir, uploadId!))).toBe(true);
    // Folders that are not s3rver uploads are never touched.
    mkdirSync(join(uploadsDir, 'not-an-upload'));
    writeFileSync(join(uploadsDir, 'not-an-upload', 'x'), 'x');
    await new Promise((r) => setTimeout(r, 50));
    const removed = await removeAbandonedUploads(uploadsDir, 20);
    expect(removed.files).toBeGreaterThanOrEqual(3); // key, metadata, the part and its MD5
    expect(removed.bytes).toBeGreaterThanOrEqual(6 * 1024 * 1024);
    expect(readdirSync(uploadsDir)).toEqual(['not-an-upload']);
    // An upload touched within the age is kept.
    const fresh = await sendOnePart(store, 'videos/p/fresh.mp4', 2);
    expect(await removeAbandonedUploads(uploadsDir, 60_000)).toEqual({ files: 0, bytes: 0 });
    expect(await store.abortMultipart('videos/p/fresh.mp4', fresh)).toBe(true);
  });

  it('reports abandoned uploads it removed when it starts', async () => {
    const other = join(root, 'restart');
    const first = await startEmbeddedS3(other, 0, BUCKET);
    const s = new ObjectStore({
      endpoint: first.endpoint,
      region: 'us-east-1',
      ...first.credentials,
      bucket: BUCKET,
      forcePathStyle: true,
    });
    await sendOnePart(s, 'videos/q/cut.mp4', 3);
    s.close();
    await first.stop(); // as a hub killed mid-upload leaves it
    await new Promise((r) => setTimeout(r, 50));
    const again = await startEmbeddedS3(other, 0, BUCKET, { abandonedUploadAgeMs: 20 });
    await again.stop();
    expect(again.abandonedUploadsRemoved.bytes).toBeGreaterThanOrEqual(6 * 1024 * 1024);
    expect(readdirSync(join(other, BUCKET, '._S3rver_uploads'))).toEqual([]);
  }, 30_000);
});

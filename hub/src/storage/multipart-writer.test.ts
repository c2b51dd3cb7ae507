import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedS3Handle, startEmbeddedS3 } from '../embedded/embedded-s3.js';
import { embeddedStore } from '../testing/embedded-store.js';
import { MultipartWriter } from './multipart-writer.js';
import type { ObjectStore } from './object-store.js';

const MIB = 1024 * 1024;

describe('MultipartWriter (against the embedded S3 server)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-multipart-'));
  let s3: EmbeddedS3Handle;
  let store: ObjectStore;

  beforeAll(async () => {
    s3 = await startEmbeddedS3(dir, 0, 'gic-test');
    store = embeddedStore(s3);
  });
  afterAll(async () => {
    store.close();
    await s3.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores chunks of any size as parts sent two at a time, byte for byte, with their SHA-256', async () => {
    const data = randomBytes(17 * MIB + 12_345);
    const writer = await MultipartWriter.open(store, 'objects/a.bin', 'application/octet-stream', {
      partBytes: 5 * MIB,
      concurrency: 2,
    });
    // Odd chunk sizes, reused by the caller after each write (the writer must have copied them).
    const scratch = Buffer.alloc(700_001);
    for (let at = 0; at < data.length; at += scratch.length) {
      const n = data.copy(scratch, 0, at, at + scratch.length);
      await writer.write(scratch.subarray(0, n));
      scratch.fill(0);
    }
    const closed = await writer.close();
    expect(closed).toEqual({
      bytes: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
    });
    expect((await store.readAll('objects/a.bin')).equals(data)).toBe(true);
  });

  it('completes an empty object as one empty part', async () => {
    const writer = await MultipartWriter.open(store, 'objects/empty.bin', 'application/octet-stream');
    expect(await writer.close()).toMatchObject({ bytes: 0 });
    expect(await store.size('objects/empty.bin')).toBe(0);
  });

  it('reports a part the store cannot take, on the next write or at close', async () => {
    const writer = await MultipartWriter.open(store, 'objects/b.bin', 'application/octet-stream', {
      partBytes: 5 * MIB,
    });
    await s3.stop(); // the store goes away under the writer
    const chunk = Buffer.alloc(MIB);
    const attempt = async () => {
      for (let i = 0; i < 40; i++) await writer.write(chunk);
      await writer.close();
    };
    await expect(attempt()).rejects.toThrow(/object store/);
    s3 = await startEmbeddedS3(dir, Number(new URL(s3.endpoint).port), 'gic-test');
  });
});

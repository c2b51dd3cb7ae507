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

  it('appends ranges of a stored object copied on the server, topping a short part up and reading a short rest through', async () => {
    const source = randomBytes(30 * MIB + 77);
    await store.put('objects/source.bin', source, 'application/octet-stream');
    const copied: { partNumber: number; first: number; last: number }[] = [];
    const spied = Object.create(store) as ObjectStore;
    spied.copyPart = (key, uploadId, partNumber, from, first, last) => {
      copied.push({ partNumber, first, last });
      return store.copyPart(key, uploadId, partNumber, from, first, last);
    };
    const writer = await MultipartWriter.open(spied, 'objects/c.bin', 'application/octet-stream', {
      partBytes: 5 * MIB,
    });
    const head = randomBytes(1000);
    await writer.write(head);
    // 1000 bytes wait in the part buffer: topped up to 5 MiB from the source; the 8 MiB and a byte
    // after that go as one copied part (not two of about 4 MiB, under S3's least part size).
    const topUp = 5 * MIB - 1000;
    const firstEnd = 10 + topUp + 8 * MIB + 1;
    await writer.copy('objects/source.bin', 10, firstEnd, 8 * MIB);
    // 17 MiB in parts of 6 to 12 MiB: two of 8.5 MiB.
    await writer.copy('objects/source.bin', 13 * MIB, 30 * MIB, 6 * MIB);
    // 3 MiB, under S3's least part size: read through.
    await writer.copy('objects/source.bin', 27 * MIB, 30 * MIB, 8 * MIB);
    await writer.write(Buffer.from('end'));
    const expected = Buffer.concat([
      head,
      source.subarray(10, firstEnd),
      source.subarray(13 * MIB, 30 * MIB),
      source.subarray(27 * MIB, 30 * MIB),
      Buffer.from('end'),
    ]);
    const seen: Buffer[] = [];
    const offsets: number[] = [];
    const closed = await writer.close((chunk, offset) => {
      offsets.push(offset);
      seen.push(Buffer.from(chunk));
    });
    expect(closed).toEqual({
      bytes: expected.length,
      sha256: createHash('sha256').update(expected).digest('hex'),
    });
    expect((await store.readAll('objects/c.bin')).equals(expected)).toBe(true);
    // The read back was observed in order, offset by offset.
    expect(Buffer.concat(seen).equals(expected)).toBe(true);
    expect(offsets[0]).toBe(0);
    // What was copied on the server: from where the top-up ended, every part at least 5 MiB.
    expect(copied.map((c) => [c.partNumber, c.first, c.last - c.first + 1])).toEqual([
      [2, 10 + topUp, 8 * MIB + 1],
      [3, 13 * MIB, 8.5 * MIB],
      [4, 21.5 * MIB, 8.5 * MIB],
    ]);
  });

  it('completes an empty object as one empty part', async () => {
    const writer = await MultipartWriter.open(store, 'objects/empty.bin', 'application/octet-stream');
    expect(await writer.close()).toMatchObject({ bytes: 0 });
    expect(await store.size('objects/empty.bin')).toBe(0);
    expect((await store.readAll('objects/empty.bin')).length).toBe(0);
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

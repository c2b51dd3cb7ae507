import { createHash, randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectStore } from '../storage/object-store.js';
import { embeddedStore } from '../testing/embedded-store.js';
import { type EmbeddedS3Handle, startEmbeddedS3 } from './embedded-s3.js';
import { RangeCopyPool } from './range-copy-pool.js';
import { joinWithShell, joinWithThreads, type PartRange } from './s3rver-multipart.js';

const MIB = 1024 * 1024;
const md5 = (data: Buffer) => createHash('md5').update(data).digest();

describe('the embedded S3 server completes a multipart upload by joining its parts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-s3-multipart-'));
  const uploads = join(dir, 'gic-test', '._S3rver_uploads');
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

  it('stores the parts byte for byte, in part order, with the ETag S3 gives a multipart object', async () => {
    const parts = [randomBytes(5 * MIB), randomBytes(5 * MIB + 7), randomBytes(1234)];
    const key = 'recordings/joined.mp4';
    const uploadId = await store.startMultipart(key, 'video/mp4');
    // Sent out of order, the second twice (a part sent again replaces the first copy).
    const etags: string[] = [];
    etags[2] = await store.uploadPart(key, uploadId, 3, parts[2]!);
    etags[1] = await store.uploadPart(key, uploadId, 2, randomBytes(5 * MIB + 7));
    etags[0] = await store.uploadPart(key, uploadId, 1, parts[0]!);
    etags[1] = await store.uploadPart(key, uploadId, 2, parts[1]!);
    // What a completion cut short would have left beside the parts is replaced, not appended to.
    writeFileSync(join(uploads, uploadId, 'joined'), 'left over');
    await store.completeMultipart(
      key,
      uploadId,
      etags.map((etag, i) => ({ partNumber: i + 1, etag })),
    );

    const whole = Buffer.concat(parts);
    expect((await store.readAll(key)).equals(whole)).toBe(true);
    // S3's multipart ETag: the MD5 of the parts' binary MD5s, then "-" and the number of parts.
    const expected = `"${md5(Buffer.concat(parts.map(md5))).toString('hex')}-3"`;
    const got = await fetch(await store.presignGet(key, { internal: true }));
    await got.body?.cancel();
    expect(got.headers.get('etag')).toBe(expected);
    expect(Number(got.headers.get('content-length'))).toBe(whole.length);
    // A range across the first two parts' boundary.
    const at = 5 * MIB - 10;
    const chunks: Buffer[] = [];
    for await (const chunk of await store.read(key, `bytes=${at}-${at + 19}`)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(whole.subarray(at, at + 20))).toBe(true);
    expect(await store.sha256(key)).toEqual({
      sha256: createHash('sha256').update(whole).digest('hex'),
      crc32: crc32(whole),
      bytes: whole.length,
    });
    // Nothing of the upload is left behind.
    expect(existsSync(join(uploads, uploadId))).toBe(false);
    expect(readdirSync(uploads)).toEqual([]);
  });
});

describe('joining parts', () => {
  it('gives the same bytes with the shell (cat, dd, head) and with the threads, for files and ranges, and replaces the target', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gic-join-'));
    const sent = [randomBytes(5 * MIB + 1), Buffer.alloc(0), randomBytes(17)];
    const object = randomBytes(9 * MIB + 7);
    const file = (name: string, bytes: Buffer) => {
      writeFileSync(join(dir, name), bytes);
      return join(dir, name);
    };
    const [a, empty, c] = sent.map((bytes, i) => file(`part-${i}`, bytes));
    const source = file('object', object);
    // Two parts copied from one object, each through its own link: consecutive, and so one range.
    linkSync(source, join(dir, 'link-1'));
    linkSync(source, join(dir, 'link-2'));
    const ranges: PartRange[] = [
      { file: a!, from: 0, to: sent[0]!.length - 1 },
      { file: join(dir, 'link-1'), from: 100, to: 4 * MIB },
      { file: join(dir, 'link-2'), from: 4 * MIB + 1, to: object.length - 1 },
      { file: empty!, from: 0, to: -1 },
      { file: source, from: 5, to: 1004 }, // inside the file, not to its end
      { file: c!, from: 0, to: 16 },
      { file: source, from: 0, to: 9 },
    ];
    const whole = Buffer.concat([
      sent[0]!,
      object.subarray(100),
      object.subarray(5, 1005),
      sent[2]!,
      object.subarray(0, 10),
    ]);
    const pool = new RangeCopyPool(undefined, 2);
    for (const [name, joinWith] of [
      ['shell', (target: string) => joinWithShell(target, ranges)],
      ['threads', (target: string) => joinWithThreads(target, ranges, pool)],
    ] as const) {
      const target = join(dir, `joined-${name}`);
      writeFileSync(target, randomBytes(20 * MIB)); // longer than the result: must be replaced
      expect(await joinWith(target)).toBe(whole.length);
      expect(readFileSync(target).equals(whole), name).toBe(true);
    }
    rmSync(dir, { recursive: true, force: true });
  });
});

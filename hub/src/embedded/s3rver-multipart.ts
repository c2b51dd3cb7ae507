import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, ReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, truncate } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type RangeCopyPool, rangeCopies } from './range-copy-pool.js';
import { copiedPartFiles } from './s3rver-part-copy.js';

/** The part of s3rver's FilesystemStore (3.7) that completing a multipart upload uses. */
export interface FilesystemStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
  putObjectMultipart(
    bucket: string,
    uploadId: string,
    parts: { number: number; etag: string }[],
  ): Promise<{ size: number; md5: string }>;
}

/**
 * Makes the embedded S3 server complete a multipart upload as S3 does: the parts are joined into the
 * object by plain file copies, and its ETag is the MD5 of the parts' MD5s followed by `-` and their
 * count, from the MD5 each part got as it arrived. s3rver's own completion read, MD5-hashed and wrote
 * the whole object again on its one thread (a quarter of a 100 MB upload's time, and several
 * seconds of an hour's export). A part is a file sent over HTTP or a range of another object's file
 * (UploadPartCopy, s3rver-part-copy.ts), copied here into the object for the first time. The joined
 * file is written beside the parts and renamed into place, so a completion cut short leaves the parts
 * whole, and the same completion can be sent again.
 */
export function completeMultipartByCopy(store: FilesystemStore, pool: RangeCopyPool = rangeCopies): void {
  store.putObjectMultipart = async (bucket, uploadId, parts) => {
    const uploadDir = join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
    const [key, metadata] = await Promise.all([
      readFile(join(uploadDir, 'key'), 'utf8'),
      readFile(join(uploadDir, 'metadata'), 'utf8').then((m) => JSON.parse(m) as Record<string, string>),
    ]);
    const numbers = parts.map((p) => p.number).sort((a, b) => a - b);
    const md5s = await Promise.all(numbers.map((n) => readFile(join(uploadDir, `${n}.md5`), 'utf8')));
    const etag = `${createHash('md5')
      .update(Buffer.concat(md5s.map((hex) => Buffer.from(hex.trim(), 'hex'))))
      .digest('hex')}-${numbers.length}`;
    const joined = join(uploadDir, 'joined');
    const ranges = await Promise.all(numbers.map((n) => partRange(join(uploadDir, String(n)))));
    const size = await joinParts(joined, ranges, pool);
    const objectPath = store.getResourcePath(bucket, key, 'object');
    await mkdir(dirname(objectPath), { recursive: true });
    await rename(joined, objectPath);
    await store.putMetadata(bucket, key, metadata, etag);
    await rm(uploadDir, { recursive: true, force: true });
    return { size, md5: etag };
  };
}

/** Where one part's bytes are: bytes `from`..`to` of `file`. */
export interface PartRange {
  file: string;
  from: number;
  to: number;
}

async function partRange(partPath: string): Promise<PartRange> {
  const files = copiedPartFiles(partPath);
  const range = await readFile(files.range, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (range === undefined) return { file: partPath, from: 0, to: (await stat(partPath)).size - 1 };
  const m = /^(\d+)-(\d+)$/.exec(range.trim());
  if (!m) throw new Error(`${files.range} holds ${JSON.stringify(range)}, not first-last`);
  return { file: files.source, from: Number(m[1]), to: Number(m[2]) };
}

/**
 * Writes the ranges one after another into `target` (replaced); returns the bytes written. A shell
 * joins them with `cat`, which copies inside the kernel (copy_file_range), about four times faster on
 * this project's machines than reading and writing through Node's buffers: a whole file as it is, a
 * range to its file's end from where `dd` moved the file's offset, any other range with `head -c`.
 * Consecutive ranges of one file (an object copied in several parts, each its own link to it) are
 * one. Where the shell cannot run, the pool's threads copy the ranges.
 */
export async function joinParts(
  target: string,
  ranges: PartRange[],
  pool: RangeCopyPool = rangeCopies,
): Promise<number> {
  const expected = ranges.reduce((sum, r) => sum + (r.to - r.from + 1), 0);
  const joined = await joinWithShell(target, ranges).catch(() => undefined);
  if (joined === expected) return joined;
  return joinWithThreads(target, ranges, pool);
}

type SizedRange = PartRange & { size: number };

async function mergeRanges(ranges: PartRange[]): Promise<SizedRange[]> {
  const stats = await Promise.all(ranges.map((r) => stat(r.file)));
  const merged: (SizedRange & { dev: number; ino: number })[] = [];
  ranges.forEach((r, i) => {
    const { dev, ino, size } = stats[i]!;
    const last = merged.at(-1);
    if (last && last.dev === dev && last.ino === ino && last.to + 1 === r.from) last.to = r.to;
    else merged.push({ ...r, size, dev, ino });
  });
  return merged;
}

/** Joins the ranges as joinParts() does first, with the shell; returns the bytes written. */
export async function joinWithShell(target: string, parts: PartRange[]): Promise<number> {
  const ranges = await mergeRanges(parts);
  // Files are passed as the script's arguments, never written into it; offsets are integers.
  const steps: string[] = [];
  const files: string[] = [];
  let wholeFiles: string[] = [];
  const endWhole = () => {
    if (wholeFiles.length) steps.push(`cat -- ${wholeFiles.join(' ')}`);
    wholeFiles = [];
  };
  for (const r of ranges) {
    if (r.to < r.from) continue;
    files.push(r.file);
    const arg = `"\${${files.length}}"`;
    if (r.from === 0 && r.to === r.size - 1) {
      wholeFiles.push(arg);
      continue;
    }
    endWhole();
    const rest = r.to === r.size - 1 ? 'cat' : `head -c ${r.to - r.from + 1}`;
    steps.push(`{ dd skip=${r.from} iflag=skip_bytes count=0 status=none && ${rest}; } < ${arg}`);
  }
  endWhole();
  const out = await open(target, 'w');
  try {
    await new Promise<void>((resolve, reject) => {
      const script = ['set -e', ...steps].join('\n');
      const child = spawn('sh', ['-c', script, 'join-parts', ...files], {
        stdio: ['ignore', out.fd, 'pipe'],
      });
      let errors = '';
      child.stderr?.on('data', (d: Buffer) => {
        errors += d.toString();
      });
      child.once('error', reject);
      child.once('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`joining parts ended with ${code}: ${errors.trim()}`)),
      );
    });
    return (await out.stat()).size;
  } finally {
    await out.close();
  }
}

/** Bytes one thread copies into the joined file at a time, so that a large part is spread over the pool. */
const JOIN_SLICE_BYTES = 64 * 1024 * 1024;

/**
 * Writes the ranges one after another into `target` (replaced), in slices copied by the pool's
 * threads at their offsets; returns the bytes written.
 */
export async function joinWithThreads(
  target: string,
  ranges: PartRange[],
  pool: RangeCopyPool,
): Promise<number> {
  const slices: Parameters<RangeCopyPool['copy']>[0][] = [];
  let at = 0;
  for (const r of ranges) {
    for (let from = r.from; from <= r.to; from += JOIN_SLICE_BYTES) {
      const to = Math.min(r.to, from + JOIN_SLICE_BYTES - 1);
      slices.push({ source: r.file, from, to, target: { path: target, at }, md5: false });
      at += to - from + 1;
    }
  }
  await (await open(target, 'w')).close();
  await truncate(target, at);
  await Promise.all(slices.map((slice) => pool.copy(slice)));
  const written = (await stat(target)).size;
  if (written !== at) throw new Error(`the parts were joined into ${written} bytes, not ${at}`);
  return at;
}

/** Bytes read from disk at a time when an object is served (Node's default for a file stream is 64 KiB). */
const SERVE_CHUNK_BYTES = 1024 * 1024;

/** The part of s3rver's FilesystemStore (3.7) that serves an object. */
export interface ObjectReadingStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  getObject(
    bucket: string,
    key: string,
    options?: { start?: number; end?: number },
  ): Promise<{ content: unknown } | null>;
}

/**
 * Makes the embedded S3 server read an object from disk in 1 MiB chunks where s3rver's stream reads
 * 64 KiB: sixteen times fewer reads, and fewer chunks through its HTTP response, for the large
 * videos a worker decodes, an export copies or the hub reads back to verify.
 */
export function serveInLargeChunks(store: ObjectReadingStore): void {
  const original = store.getObject.bind(store);
  store.getObject = async (bucket, key, options) => {
    const object = await original(bucket, key, options);
    if (!object || !(object.content instanceof ReadStream)) return object;
    const small = object.content;
    const { start, end } = small as ReadStream & { start?: number; end?: number };
    const large = await new Promise<ReadStream>((resolve, reject) => {
      const stream = createReadStream(store.getResourcePath(bucket, key, 'object'), {
        start,
        end: end === Number.POSITIVE_INFINITY ? undefined : end,
        highWaterMark: SERVE_CHUNK_BYTES,
      })
        .on('error', reject)
        .on('open', () => resolve(stream));
    }).catch(() => undefined);
    if (!large) return object; // served as s3rver opened it
    small.destroy();
    object.content = large;
    return object;
  };
}

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, ReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

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

/** Bytes copied per read and write while the parts are joined. */
const COPY_BYTES = 4 * 1024 * 1024;

/**
 * Makes the embedded S3 server complete a multipart upload as S3 does: the parts are joined into the
 * object by plain file copies, and its ETag is the MD5 of the parts' MD5s followed by `-` and their
 * count, from the MD5 each part got as it arrived. s3rver's own completion read, MD5-hashed and wrote
 * the whole object again on its one thread (a quarter of a 100 MB upload's time, and several
 * seconds of an hour's export). The joined file is written beside the parts and renamed into place,
 * so a completion cut short leaves the parts whole, and the same completion can be sent again.
 */
export function completeMultipartByCopy(store: FilesystemStore): void {
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
    const size = await concatenate(
      joined,
      numbers.map((n) => join(uploadDir, String(n))),
    );
    const objectPath = store.getResourcePath(bucket, key, 'object');
    await mkdir(dirname(objectPath), { recursive: true });
    await rename(joined, objectPath);
    await store.putMetadata(bucket, key, metadata, etag);
    await rm(uploadDir, { recursive: true, force: true });
    return { size, md5: etag };
  };
}

/**
 * Writes the files one after another into `target` (replaced); returns the bytes written. `cat`
 * (GNU coreutils 9) copies inside the kernel (copy_file_range), about four times faster on this
 * project's machines than reading and writing through Node's buffers; where it cannot run, the
 * files are copied through a buffer here.
 */
export async function concatenate(target: string, sources: string[]): Promise<number> {
  const joined = await concatenateWithCat(target, sources).catch(() => undefined);
  return joined ?? concatenateHere(target, sources);
}

async function concatenateWithCat(target: string, sources: string[]): Promise<number> {
  const out = await open(target, 'w');
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('cat', ['--', ...sources], { stdio: ['ignore', out.fd, 'pipe'] });
      let errors = '';
      child.stderr?.on('data', (d: Buffer) => {
        errors += d.toString();
      });
      child.once('error', reject);
      child.once('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`cat ended with ${code}: ${errors.trim()}`)),
      );
    });
    const [written, ...parts] = await Promise.all([out.stat(), ...sources.map((s) => stat(s))]);
    const expected = parts.reduce((sum, p) => sum + p.size, 0);
    if (written.size !== expected) throw new Error(`cat wrote ${written.size} of ${expected} bytes`);
    return written.size;
  } finally {
    await out.close();
  }
}

export async function concatenateHere(target: string, sources: string[]): Promise<number> {
  const out = await open(target, 'w');
  const buffer = Buffer.allocUnsafe(COPY_BYTES);
  let size = 0;
  try {
    for (const source of sources) {
      const input = await open(source, 'r');
      try {
        for (;;) {
          const { bytesRead } = await input.read(buffer, 0, buffer.length, null);
          if (bytesRead === 0) break;
          for (let at = 0; at < bytesRead; ) at += (await out.write(buffer, at, bytesRead - at)).bytesWritten;
          size += bytesRead;
        }
      } finally {
        await input.close();
      }
    }
  } finally {
    await out.close();
  }
  return size;
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

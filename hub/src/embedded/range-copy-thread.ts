/**
 * A thread of the embedded S3 server's part-copy pool (see range-copy-pool.ts): reads bytes
 * `from`..`to` (inclusive) of one file, MD5-hashing them on the way when asked (a copied part's
 * ETag), and writes them into a new file, into an existing one at an offset (a completion joining
 * parts), or nowhere (a part whose bytes stay where they are, see s3rver-part-copy.ts). Answers with
 * the MD5 (hex; empty when not asked) or the error's message. MD5 runs at about 700 MB/s on one core,
 * so parts spread over the pool's threads are hashed in a fraction of the time one thread would take.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

/** Bytes read and written at a time. */
const COPY_BYTES = 4 * 1024 * 1024;

export interface RangeCopyRequest {
  id: number;
  source: string;
  from: number;
  to: number;
  /** Where the bytes go: `path`, replaced, or written into at `at` when given; none: nowhere. */
  target?: { path: string; at?: number };
  /** Whether to MD5-hash the bytes. */
  md5: boolean;
}
export type RangeCopyAnswer = { id: number; md5: string } | { id: number; error: string };

function copyRange({ source, from, to, target, md5 }: RangeCopyRequest): string {
  const hash = md5 ? createHash('md5') : undefined;
  const input = openSync(source, 'r');
  try {
    const output = target ? openSync(target.path, target.at === undefined ? 'w' : 'r+') : undefined;
    try {
      const buffer = Buffer.allocUnsafe(COPY_BYTES);
      const base = (target?.at ?? 0) - from;
      for (let at = from; at <= to; ) {
        const n = readSync(input, buffer, 0, Math.min(buffer.length, to + 1 - at), at);
        if (n === 0) throw new Error(`${source} ended at ${at} bytes while a part was copied from it`);
        hash?.update(buffer.subarray(0, n));
        if (output !== undefined) {
          for (let w = 0; w < n; ) w += writeSync(output, buffer, w, n - w, base + at + w);
        }
        at += n;
      }
    } finally {
      if (output !== undefined) closeSync(output);
    }
  } finally {
    closeSync(input);
  }
  return hash ? hash.digest('hex') : '';
}

parentPort?.on('message', (request: RangeCopyRequest) => {
  let answer: RangeCopyAnswer;
  try {
    answer = { id: request.id, md5: copyRange(request) };
  } catch (err) {
    answer = { id: request.id, error: (err as Error).message };
  }
  parentPort!.postMessage(answer);
});

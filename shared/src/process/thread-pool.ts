import { access } from 'node:fs/promises';
import { withTimeout } from './with-timeout.js';

/** libuv's default number of worker threads. */
const DEFAULT_SIZE = 4;

/**
 * libuv's worker pool as this process got it. libuv reads UV_THREADPOOL_SIZE once, when the pool
 * first starts, which is before any module body runs (loading ES modules uses the pool), so only the
 * environment the process was started with counts. Our GStreamer binding never waits on the pool,
 * so the default is enough; a larger value does no harm.
 */
export function threadPoolSize(env: Record<string, string | undefined> = process.env): {
  size: number;
  source: 'UV_THREADPOOL_SIZE' | 'default';
} {
  const set = Number.parseInt(env.UV_THREADPOOL_SIZE ?? '', 10);
  if (Number.isInteger(set) && set > 0) return { size: Math.min(set, 1024), source: 'UV_THREADPOOL_SIZE' };
  return { size: DEFAULT_SIZE, source: 'default' };
}

/**
 * Round trip of one small job through libuv's pool (ms), rejecting after `timeoutMs`: proof that file
 * work, logging and crypto are not queued behind something that holds every worker.
 */
export async function probeThreadPool(timeoutMs = 2000): Promise<number> {
  const started = performance.now();
  await withTimeout(
    access(process.execPath),
    timeoutMs,
    () => new Error(`the libuv thread pool did not answer within ${timeoutMs} ms`),
  );
  return +(performance.now() - started).toFixed(2);
}

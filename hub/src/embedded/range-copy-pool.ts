import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { RangeCopyAnswer, RangeCopyRequest } from './range-copy-thread.js';

/** The built thread script: the same file from `src/` (tests) and `dist/`, as embedded-s3.ts's entry. */
const THREAD_SCRIPT = new URL('../../dist/embedded/range-copy-thread.js', import.meta.url);

interface Waiter {
  resolve: (md5: string) => void;
  reject: (e: Error) => void;
}

interface CopyThread {
  worker: Worker;
  /** The copies given to this thread and not answered yet. */
  waiting: Map<number, Waiter>;
}

/**
 * Threads that copy and MD5-hash byte ranges of files (range-copy-thread.ts), as many as the machine
 * has cores up to 4: the server's own thread would hash one part at a time. Started on the first
 * copy; they do not keep the process alive. A thread that fails (an uncaught error, or it exits)
 * fails the copies it was given, and no others; it is ended and a new one takes its place on the
 * next copy.
 */
export class RangeCopyPool {
  private readonly threads: CopyThread[] = [];
  private next = 0;
  private turn = 0;

  constructor(
    /** The thread's script: range-copy-thread.js, or a stand-in in tests. */
    private readonly script: URL = THREAD_SCRIPT,
    private readonly size = Math.max(1, Math.min(4, availableParallelism())),
  ) {}

  /**
   * Reads bytes `from`..`to` of `source` and writes them into `target` (a new file, or an existing
   * one at `target.at`; none: only read); resolves with their MD5 (hex) when `md5` is not false,
   * otherwise with ''.
   */
  copy({
    md5 = true,
    ...request
  }: Omit<RangeCopyRequest, 'id' | 'md5'> & { md5?: boolean }): Promise<string> {
    while (this.threads.length < this.size) this.threads.push(this.start());
    const thread = this.threads[this.turn++ % this.threads.length]!;
    const id = this.next++;
    return new Promise<string>((resolve, reject) => {
      thread.waiting.set(id, { resolve, reject });
      thread.worker.postMessage({ ...request, md5, id } satisfies RangeCopyRequest);
    });
  }

  /** Threads running now. */
  get running(): number {
    return this.threads.length;
  }

  private start(): CopyThread {
    const worker = new Worker(this.script);
    worker.unref();
    const thread: CopyThread = { worker, waiting: new Map() };
    const retire = (err: Error) => {
      const at = this.threads.indexOf(thread);
      if (at >= 0) this.threads.splice(at, 1);
      for (const w of thread.waiting.values()) w.reject(err);
      thread.waiting.clear();
      void worker.terminate();
    };
    worker.on('message', (a: RangeCopyAnswer) => {
      const w = thread.waiting.get(a.id);
      thread.waiting.delete(a.id);
      if ('md5' in a) w?.resolve(a.md5);
      else w?.reject(new Error(a.error));
    });
    worker.on('error', (err) => retire(new Error(`a part copy thread failed: ${err.message}`)));
    worker.on('exit', (code) => retire(new Error(`a part copy thread exited (code ${code})`)));
    return thread;
  }
}

/** The embedded S3 server's one pool: part copies and the completions that join them. */
export const rangeCopies = new RangeCopyPool();

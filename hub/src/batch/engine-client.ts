import { Worker } from 'node:worker_threads';
import type { RgbFrame } from '@gic/shared/media/frame.js';
import type { FrameAnalysis } from '@gic/shared/messages/events.js';

/** What the analyse stage needs of the engine. */
export interface BatchEngine {
  analyseBatch(frames: RgbFrame[]): Promise<FrameAnalysis[]>;
  close(): Promise<void>;
}

/** The built thread entry: the same file from `src/` (tests) and `dist/`. */
const ENTRY = new URL('../../dist/batch/engine-thread.js', import.meta.url);

/**
 * The shared engine in a thread of its own (see engine-thread.ts): batches go to it with their
 * pixels transferred, analyses come back. A thread that dies fails what was waiting, and the next
 * batch starts a new one.
 */
export class EngineThread implements BatchEngine {
  private worker: Worker | undefined;
  private next = 0;
  private readonly waiting = new Map<
    number,
    { resolve: (a: FrameAnalysis[]) => void; reject: (e: Error) => void }
  >();

  constructor(private readonly options: { modelsDir: string; models: string[]; logLevel: string }) {}

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(ENTRY, { workerData: this.options });
    worker.on('message', (m: { id: number; analyses?: FrameAnalysis[]; error?: string }) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.error !== undefined) w?.reject(new Error(m.error));
      else w?.resolve(m.analyses!);
    });
    const fail = (err: Error) => {
      this.worker = undefined;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the analysis thread ended (${code})`)));
    this.worker = worker;
    return worker;
  }

  analyseBatch(frames: RgbFrame[]): Promise<FrameAnalysis[]> {
    const worker = this.start();
    const id = this.next++;
    // Copies, so that the buffers handed over own their memory (a decoded frame may share a pool).
    const sent = frames.map((f) => ({ ...f, data: new Uint8Array(f.data) }));
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage(
        { id, frames: sent },
        sent.map((f) => f.data.buffer as ArrayBuffer),
      );
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const ended = new Promise((r) => worker.once('exit', r));
    worker.postMessage({ close: true });
    await Promise.race([ended, new Promise((r) => setTimeout(r, 5000))]);
    await worker.terminate();
  }
}

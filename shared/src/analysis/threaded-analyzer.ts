import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { pino } from 'pino';
import type { Logger } from '../logging/logger.js';
import type { RgbFrame } from '../media/frame.js';
import type { FrameAnalysis } from '../messages/events.js';
import type { AnalysisReply, AnalysisRequest, AnalysisWorkerData } from './analysis-worker.js';
import type { FrameAnalyzer, Scan } from './frame-analyzer.js';
import type { AnalyzerOptions } from './load-analyzer.js';
import { addStageTime, type StageTimes } from './stage-times.js';

/** What the edge asks of an analyzer, in this thread or another. */
export type Analyzer = Pick<
  FrameAnalyzer,
  'models' | 'modelsOff' | 'analyse' | 'analyseBatch' | 'warmUp' | 'close'
>;

/**
 * The built worker script. Run from the TypeScript sources (the tests), this module sits in src/ and
 * the worker is taken from the package's dist/ (built by `tsc -b` before any test runs): a worker
 * thread cannot load TypeScript.
 */
function workerScript(): URL {
  const here = new URL('./analysis-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL(here.href.replace('/shared/src/analysis/', '/shared/dist/analysis/'));
}

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Pending = {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  /** Where a timed request's stage times go. */
  times?: StageTimes;
  /** Where a lent request's frames come back. */
  lent?: (data: RgbFrame['data'][]) => void;
};

/**
 * A FrameAnalyzer on a thread of its own. onnxruntime-node runs each inference synchronously on the
 * thread that calls it: a full text scan of a 1280x720 frame held the main thread for 0.25 s (seconds
 * on a busy CPU), and with it the appsinks, HTTP, MQTT and the recorder's queue. Here frames are
 * copied to the analysis thread (2.7 MB for 1280x720, about a millisecond) and analyses come back.
 * Requests are served one at a time, in order. If the thread dies (a native fault in a model), every
 * waiting request fails with the reason and the next request starts a new thread with the same models.
 */
export class ThreadedAnalyzer implements Analyzer {
  private worker!: Worker;
  private ready!: Promise<void>;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private closing = false;
  private dead: Error | undefined;
  private loaded: { models: FrameAnalyzer['models']; modelsOff: FrameAnalyzer['modelsOff'] } = {
    models: [],
    modelsOff: [],
  };

  private constructor(
    private readonly data: AnalysisWorkerData,
    private readonly log: Logger,
  ) {}

  /** Starts the thread and waits for its models to load (errors per model are in `modelsOff`). */
  static async start(
    modelsDir: string,
    modelIds: string[],
    log: Logger,
    options: AnalyzerOptions = {},
    /** Nice value of the analysis thread (0: as the process; 10: yields to threads at 0). */
    nice = 0,
  ): Promise<ThreadedAnalyzer> {
    const analyzer = new ThreadedAnalyzer({ modelsDir, modelIds, options, logLevel: log.level, nice }, log);
    analyzer.spawn();
    await analyzer.ready;
    return analyzer;
  }

  private spawn(): void {
    this.dead = undefined;
    const worker = new Worker(workerScript(), { workerData: this.data });
    this.worker = worker;
    // Requests of this thread: those of a thread retired by `reload` are settled by that thread alone.
    const pending = new Map<number, Pending>();
    this.pending = pending;
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (reply: AnalysisReply) => {
        if (reply.kind === 'ready') {
          if (this.worker === worker) this.loaded = { models: reply.models, modelsOff: reply.modelsOff };
          resolve();
        } else if (reply.kind === 'log') this.relog(reply.line);
        else {
          const p = pending.get(reply.id);
          pending.delete(reply.id);
          if (!p) return;
          if (reply.kind === 'result') {
            if (p.times && reply.times) Object.assign(p.times, reply.times);
            if (p.lent && reply.frames) p.lent(reply.frames);
            p.resolve(reply.value);
          } else p.reject(Object.assign(new Error(reply.message), { name: reply.name }));
        }
      });
      worker.on('error', (err) => {
        if (this.worker === worker) this.dead = err;
        reject(err);
      });
      worker.on('exit', (code) => {
        const reason =
          (this.worker === worker ? this.dead : undefined) ??
          new Error(`the analysis thread exited (code ${code})`);
        reject(reason);
        for (const p of pending.values()) p.reject(reason);
        pending.clear();
        if (this.worker !== worker) return;
        this.dead = reason;
        if (!this.closing)
          this.log.error({ err: reason.message }, 'analysis thread died; the next frame starts a new one');
      });
    });
    // A rejection here is reported through the requests that wait on it.
    this.ready.catch(() => undefined);
  }

  /**
   * Loads the models again from the models folder (a model version switched there): a new thread is
   * started and, once its models are loaded, takes every new request; the old one finishes what it
   * was given, then ends. If the new thread fails to start, the old one stays. Resolves with the
   * models loaded and off.
   */
  async reload(): Promise<{ models: FrameAnalyzer['models']; modelsOff: FrameAnalyzer['modelsOff'] }> {
    const old = { worker: this.worker, pending: this.pending, ready: this.ready, dead: this.dead };
    this.spawn();
    try {
      await this.ready;
    } catch (err) {
      void this.worker.terminate();
      Object.assign(this, old);
      throw err;
    }
    void (async () => {
      if (!old.dead) {
        const id = this.nextId++;
        const closed = new Promise((resolve) => old.pending.set(id, { resolve, reject: resolve }));
        old.worker.postMessage({ kind: 'close', id });
        await closed;
      }
      await old.worker.terminate();
    })();
    return this.loaded;
  }

  private relog(line: string): void {
    try {
      const { level, msg, time: _t, service: _s, ...rest } = JSON.parse(line) as Record<string, unknown>;
      const label = pino.levels.labels[level as number] as pino.Level | undefined;
      this.log[label ?? 'info'](rest, String(msg ?? ''));
    } catch {
      this.log.info({ line }, 'analysis thread');
    }
  }

  /**
   * Sends one request; `transfer`: buffers handed to the thread rather than copied (ours alone);
   * `times`: where the reply's stage times go.
   */
  private async request<T>(
    message: WithoutId<AnalysisRequest>,
    transfer: ArrayBuffer[] = [],
    times?: StageTimes,
    lent?: Pending['lent'],
  ): Promise<T> {
    if (this.closing && message.kind !== 'close') throw new Error('the analyzer is closed');
    if (this.dead) this.spawn();
    await this.ready;
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        ...(times ? { times } : {}),
        ...(lent ? { lent } : {}),
      });
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  get models(): FrameAnalyzer['models'] {
    return this.loaded.models;
  }

  get modelsOff(): FrameAnalyzer['modelsOff'] {
    return this.loaded.modelsOff;
  }

  async analyse(frame: RgbFrame): Promise<FrameAnalysis> {
    return (await this.analyseBatch([frame]))[0]!;
  }

  /**
   * As FrameAnalyzer.analyseBatch; `times` also gets `copy` (the frames copied for the thread),
   * `thread` (the request on the thread, from its arrival to its reply) and `hand-over` (the rest of
   * the round trip: messages both ways, the result's copy back, each thread's event loop).
   */
  async analyseBatch(
    frames: RgbFrame[],
    scans?: readonly Scan[],
    times?: StageTimes,
  ): Promise<FrameAnalysis[]> {
    const started = times && performance.now();
    // Plain copies: a frame's buffer may be a view into a larger one, and the caller keeps its frame.
    // The copies are ours alone, so they are transferred, not copied again on the way.
    const copies = frames.map((f) => ({ ...f, data: Uint8Array.from(f.data) }));
    const sent = times && performance.now();
    const analyses = await this.request<FrameAnalysis[]>(
      {
        kind: 'analyse',
        frames: copies,
        ...(scans ? { scans: [...scans] } : {}),
        ...(times ? { timed: true } : {}),
      },
      copies.map((f) => f.data.buffer),
      times,
    );
    if (times) {
      addStageTime(times, 'copy', sent! - started!);
      addStageTime(times, 'hand-over', performance.now() - sent! - (times.thread ?? 0));
    }
    return analyses;
  }

  /**
   * As `analyseBatch`, with no copy either way: each frame's buffer is handed to the thread and comes
   * back with the analyses, in the frames returned (the same pixels, in the same memory). Until then
   * the frames given are empty (their buffers detached): the caller uses the frames returned. A frame
   * whose pixels are part of a larger buffer is copied, as by `analyseBatch`. For a reader that makes
   * its frames for the analysis alone and recycles their buffers (the hub's batch).
   */
  async analyseLent(
    frames: RgbFrame[],
    scans?: readonly Scan[],
  ): Promise<{ analyses: FrameAnalysis[]; frames: RgbFrame[] }> {
    const sent = frames.map((f) =>
      f.data.byteOffset === 0 && f.data.byteLength === f.data.buffer.byteLength
        ? f
        : { ...f, data: Uint8Array.from(f.data) },
    );
    let back: RgbFrame['data'][] = [];
    const analyses = await this.request<FrameAnalysis[]>(
      { kind: 'analyse', frames: sent, ...(scans ? { scans: [...scans] } : {}), lent: true },
      sent.map((f) => f.data.buffer as ArrayBuffer),
      undefined,
      (data) => {
        back = data;
      },
    );
    if (back.length !== frames.length) throw new Error('the analysis thread kept the frames lent to it');
    return { analyses, frames: sent.map((f, i) => ({ ...f, data: back[i]! })) };
  }

  warmUp(size: { width: number; height: number }): Promise<number> {
    return this.request({ kind: 'warm-up', size });
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    try {
      if (!this.dead) await this.request({ kind: 'close' });
    } catch {
      // Closing a dead thread: nothing left to release.
    }
    await this.worker.terminate();
  }
}

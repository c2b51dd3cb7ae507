import type { RgbFrame } from '../media/frame.js';
import type { FrameAnalysis } from '../messages/events.js';

/**
 * Why frames were not analysed: `stale`, more than maxLagMs of stream time behind the newest frame;
 * `overflow`, older than the newest maxBatch frames waiting, which are all the next batch can take.
 */
export type DropReason = 'stale' | 'overflow';

/** What the loop runs and whom it tells. Callbacks run on the caller's thread: keep them quick. */
export interface LiveAnalysisLoopOptions<R> {
  /** Analyses a batch: one result a frame, in order (FrameAnalyzer.analyseBatch). */
  analyse: (frames: RgbFrame[]) => Promise<R[]>;
  /** Most frames in one batch; whole frames, >= 1. */
  maxBatch: number;
  /** Stream time a waiting frame may lag the newest one before it is dropped (ms), >= 0; Infinity never drops. */
  maxLagMs: number;
  /** Each analysis, in frame order. */
  onResult: (frame: RgbFrame, result: R) => void;
  /** Frames given up on, oldest first, with the reason. */
  onDrop?: (frames: RgbFrame[], reason: DropReason) => void;
  /** A failed batch (its frames get no result) or a throwing onResult; the loop carries on. */
  onError: (error: unknown, frames: RgbFrame[]) => void;
}

/** Counts since the loop was made. */
export interface LiveAnalysisStats {
  analysed: number;
  /** Frames in batches that failed. */
  failed: number;
  dropped: number;
  droppedStale: number;
  droppedOverflow: number;
  batches: number;
  /** Frames a batch, failed batches included; 0 before the first. */
  meanBatchSize: number;
  /** Frames waiting now. */
  waiting: number;
}

/**
 * Analyses live frames in batches without ever falling behind the video: `push` only queues; while a
 * batch runs, new frames wait; when it is done, every waiting frame goes into the next batch. Frames
 * that the next batch could not take in time (stale or overflowing) are dropped and counted instead.
 */
export class LiveAnalysisLoop<R = FrameAnalysis> {
  private readonly options: LiveAnalysisLoopOptions<R>;
  private waiting: RgbFrame[] = [];
  private running: Promise<void> | undefined;
  private readonly counts = { analysed: 0, failed: 0, stale: 0, overflow: 0, batches: 0, frames: 0 };

  constructor(options: LiveAnalysisLoopOptions<R>) {
    const { maxBatch, maxLagMs } = options;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) {
      throw new RangeError(
        `LiveAnalysisLoop: maxBatch must be a whole number of frames >= 1, got ${maxBatch}`,
      );
    }
    if (Number.isNaN(maxLagMs) || maxLagMs < 0) {
      throw new RangeError(`LiveAnalysisLoop: maxLagMs must be a number of ms >= 0, got ${maxLagMs}`);
    }
    this.options = options;
  }

  /** Queues a frame for analysis and returns at once; frames must come in stream order. */
  push(frame: RgbFrame): void {
    const { maxBatch, maxLagMs } = this.options;
    const stale = this.waiting.filter((f) => frame.ptsMs - f.ptsMs > maxLagMs);
    if (stale.length > 0) {
      this.waiting = this.waiting.filter((f) => frame.ptsMs - f.ptsMs <= maxLagMs);
      this.drop(stale, 'stale');
    }
    this.waiting.push(frame);
    if (this.waiting.length > maxBatch)
      this.drop(this.waiting.splice(0, this.waiting.length - maxBatch), 'overflow');
    this.running ??= this.pump();
  }

  /** Resolves once every frame pushed so far has been analysed, failed or dropped (for a clean stop). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  get stats(): LiveAnalysisStats {
    const { analysed, failed, stale, overflow, batches, frames } = this.counts;
    return {
      analysed,
      failed,
      dropped: stale + overflow,
      droppedStale: stale,
      droppedOverflow: overflow,
      batches,
      meanBatchSize: batches > 0 ? frames / batches : 0,
      waiting: this.waiting.length,
    };
  }

  private drop(frames: RgbFrame[], reason: DropReason): void {
    this.counts[reason] += frames.length;
    this.options.onDrop?.(frames, reason);
  }

  /** Runs batches until nothing waits; never rejects. */
  private async pump(): Promise<void> {
    // Start after the caller's turn: push never runs analysis itself, and frames pushed together batch.
    await Promise.resolve();
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting;
        this.waiting = [];
        this.counts.batches++;
        this.counts.frames += batch.length;
        let results: R[];
        try {
          results = await this.options.analyse(batch);
          if (results.length !== batch.length) {
            throw new Error(`analyse gave ${results.length} results for ${batch.length} frames`);
          }
        } catch (error) {
          this.counts.failed += batch.length;
          this.report(error, batch);
          continue;
        }
        this.counts.analysed += batch.length;
        batch.forEach((frame, i) => {
          try {
            this.options.onResult(frame, results[i]!);
          } catch (error) {
            this.report(error, [frame]);
          }
        });
      }
    } finally {
      this.running = undefined;
    }
  }

  private report(error: unknown, frames: RgbFrame[]): void {
    try {
      this.options.onError(error, frames);
    } catch {
      // A throwing error handler must not stop live analysis either.
    }
  }
}

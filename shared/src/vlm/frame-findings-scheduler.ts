/**
 * When the VLM analyses frames: on frames the polyp detector flags (once per cooldown), every
 * `intervalMs` of stream time while the scope is in the body, and on request (the screen's button).
 * `offer()` is called from the live path for every analysed frame and never waits: it decides in O(1)
 * and copies the frame only when it takes it. One analysis runs at a time; while it runs, only the
 * most important frame offered since is kept (a request over a flagged frame over an interval
 * frame, the latest of equal rank), so a slow model skips frames instead of building a backlog.
 */
import type { FrameFindingsAnalyzer, FrameFindingsResult } from './frame-findings.js';
import type { VlmImage } from './vlm-engine.js';

/** Why a frame was analysed. */
export type FindingsTrigger = 'request' | 'flagged' | 'interval';
const RANK: Record<FindingsTrigger, number> = { request: 3, flagged: 2, interval: 1 };

/** A frame as the live path offers it. */
export interface OfferedFrame {
  /**
   * The frame, or a function that makes it: called only when the frame is taken, so the live path
   * pays for masking and copying a frame only for the few the model will see. A function's image is
   * the scheduler's own (not copied again); a plain image is copied, as the live buffer is reused.
   */
  image: VlmImage | (() => VlmImage);
  /** Stream time of the frame, ms (the clock for intervals and cooldowns). */
  streamMs: number;
  /** Wall-clock time of the frame, ISO 8601, stored with the result. */
  at: string;
  inBody: boolean;
  /** The polyp detector flagged it. */
  flagged: boolean;
}

/** One analysis, with the frame's times. */
export interface ScheduledFindings {
  trigger: FindingsTrigger;
  streamMs: number;
  at: string;
  result: FrameFindingsResult;
}

/** Options of FrameFindingsScheduler. */
export interface FindingsSchedulerOptions {
  /** Stream time between analyses while in the body, ms; 0: none on a timer. Default 30000. */
  intervalMs?: number;
  /** Stream time before another flagged frame is analysed, ms. Default 10000. */
  flaggedCooldownMs?: number;
  /** Every finished analysis (store it, sync it, show it). */
  onResult: (r: ScheduledFindings) => void;
}

interface Job {
  trigger: FindingsTrigger;
  frame: OfferedFrame & { image: VlmImage };
  done?: (r: ScheduledFindings) => void;
}

const NOTES: Record<FindingsTrigger, string> = {
  request: 'a person on the in-room screen asked for this frame to be analysed',
  flagged: 'the polyp detector flagged this frame',
  interval: 'a routine frame during the procedure',
};

/** Schedules frame analyses by the VLM without ever holding up the live path. */
export class FrameFindingsScheduler {
  private running = false;
  private pending: Job | undefined;
  private lastStartMs = Number.NEGATIVE_INFINITY;
  private lastFlaggedMs = Number.NEGATIVE_INFINITY;
  private closed = false;
  /** Frames offered that a trigger wanted but a busier one replaced, or that waited behind a running one. */
  skipped = 0;

  constructor(
    private readonly analyzer: FrameFindingsAnalyzer,
    private readonly opts: FindingsSchedulerOptions,
  ) {}

  /** An analysis is running. */
  get busy(): boolean {
    return this.running;
  }

  /** Offers a live frame; returns the trigger when the frame was taken (now or as the pending one). */
  offer(frame: OfferedFrame): FindingsTrigger | null {
    if (this.closed || !frame.inBody) return null;
    const interval = this.opts.intervalMs ?? 30_000;
    let trigger: FindingsTrigger | null = null;
    if (frame.flagged && frame.streamMs - this.lastFlaggedMs >= (this.opts.flaggedCooldownMs ?? 10_000)) {
      trigger = 'flagged';
    } else if (interval > 0 && frame.streamMs - this.lastStartMs >= interval) {
      trigger = 'interval';
    }
    if (!trigger) return null;
    return this.enqueue(trigger, frame) ? trigger : null;
  }

  /** Analyses `frame` as soon as the running analysis (if any) ends, ahead of any other frame. */
  request(frame: Omit<OfferedFrame, 'inBody' | 'flagged'>): Promise<ScheduledFindings> {
    if (this.closed) return Promise.reject(new Error('frame analysis scheduler closed'));
    return new Promise((resolve) => {
      this.enqueue('request', { ...frame, inBody: true, flagged: false }, resolve);
    });
  }

  /** Takes no more frames; a running analysis finishes. */
  close(): void {
    this.closed = true;
  }

  private enqueue(
    trigger: FindingsTrigger,
    frame: OfferedFrame,
    done?: (r: ScheduledFindings) => void,
  ): boolean {
    if (this.pending && RANK[this.pending.trigger] > RANK[trigger]) {
      this.skipped++;
      return false;
    }
    if (this.pending) {
      this.skipped++;
      // A replaced request still gets its answer: it runs with the frame that replaced it.
      const replaced = this.pending.done;
      if (replaced && done) {
        const mine = done;
        done = (r) => {
          replaced(r);
          mine(r);
        };
      } else if (replaced) done = replaced;
    }
    // The live buffer is reused by the pipeline: keep a copy of the frame we take.
    const image =
      typeof frame.image === 'function' ? frame.image() : { ...frame.image, rgb: frame.image.rgb.slice() };
    this.pending = { trigger, frame: { ...frame, image }, ...(done ? { done } : {}) };
    // Times count from when a frame is taken, so a busy model does not make every frame due.
    this.lastStartMs = frame.streamMs;
    if (trigger === 'flagged') this.lastFlaggedMs = frame.streamMs;
    void this.pump();
    return true;
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let job = this.take(); job; job = this.take()) {
        const result = await this.analyzer.analyse(job.frame.image, NOTES[job.trigger]);
        const done: ScheduledFindings = {
          trigger: job.trigger,
          streamMs: job.frame.streamMs,
          at: job.frame.at,
          result,
        };
        this.opts.onResult(done);
        job.done?.(done);
      }
    } finally {
      this.running = false;
    }
  }

  private take(): Job | undefined {
    const job = this.pending;
    this.pending = undefined;
    return job;
  }
}

import type { I420Frame, RgbFrame } from '../media/frame.js';
import { DEFAULT_MOTION_STEP, type LumaGrid, lumaDifference, sampleLuma } from './motion.js';

/** How the analysis rate follows motion. Rates are frames per second of stream time. */
export interface AdaptiveSamplerOptions {
  /** Rate while the view is still (fps); > 0. */
  minFps: number;
  /** Rate under motion (fps), at most the rate frames are offered at; minFps === maxFps analyses every frame. */
  maxFps: number;
  /** Smoothed motion (0..1) at or under which the view counts as still and minFps applies. */
  stillMotion?: number;
  /** Smoothed motion (0..1) at or over which maxFps applies; the rate is linear in between. */
  movingMotion?: number;
  /** Stream time whose motion scores are smoothed, by their median (ms). */
  windowMs?: number;
  /** Motion grid spacing (px). */
  gridStep?: number;
}

/**
 * Thresholds are guesses from sensor noise, not tuned on clinical footage: a still scope shows a
 * mean luma change of about 2..4 levels of 255 between frames (noise, flicker), a moving one 10 and more.
 */
export const defaultSamplerThresholds = {
  stillMotion: 0.015, // ~4 levels of 255
  movingMotion: 0.05, // ~13 levels of 255
  windowMs: 1000, // a second: long enough to outvote a jittery frame, short enough to follow a move
  gridStep: DEFAULT_MOTION_STEP,
} as const;

/** Scores kept at the least, so that the median outvotes one odd frame even at low offered rates. */
const MIN_SCORES = 3;
/** Share of a frame interval by which a frame may come early and still be taken (pts rounding, jitter). */
const EARLY_SLACK = 0.05;

function check(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(`AdaptiveSampler: ${message}`);
}

/**
 * Decides which offered frames to analyse: up to `maxFps` while the view moves, down to `minFps` while
 * it is still. It is offered every frame the appsink delivers and works in stream time (`ptsMs`), so a
 * file replayed faster than real time is sampled as it would be live.
 */
export class AdaptiveSampler {
  private readonly options: Required<AdaptiveSamplerOptions>;
  private previous: { grid: LumaGrid; ptsMs: number } | undefined;
  private scores: { ptsMs: number; motion: number }[] = [];
  /** Frames owed to the target rate since the last one taken; capped at 1 so a pause causes no burst. */
  private credit = 0;
  private target: number;
  private lastMotion = 0;
  private smoothed = 0;

  constructor(options: AdaptiveSamplerOptions) {
    const o = { ...defaultSamplerThresholds, ...options };
    check(Number.isFinite(o.minFps) && o.minFps > 0, `minFps must be a number > 0, got ${o.minFps}`);
    check(
      Number.isFinite(o.maxFps) && o.maxFps >= o.minFps,
      `maxFps must be a number >= minFps (${o.minFps}), got ${o.maxFps}`,
    );
    check(
      o.stillMotion >= 0 && o.movingMotion <= 1 && o.stillMotion < o.movingMotion,
      `need 0 <= stillMotion < movingMotion <= 1, got ${o.stillMotion} and ${o.movingMotion}`,
    );
    check(Number.isFinite(o.windowMs) && o.windowMs > 0, `windowMs must be > 0, got ${o.windowMs}`);
    check(
      Number.isInteger(o.gridStep) && o.gridStep >= 1,
      `gridStep must be a whole px >= 1, got ${o.gridStep}`,
    );
    this.options = o;
    this.target = o.maxFps; // until motion is known, analyse as much as allowed
  }

  /** The analysis rate motion currently asks for (fps of stream time). */
  get targetFps(): number {
    return this.target;
  }

  /** Motion between the last two offered frames, 0..1. */
  get motion(): number {
    return this.lastMotion;
  }

  /** The smoothed motion that sets the rate, 0..1. */
  get smoothedMotion(): number {
    return this.smoothed;
  }

  /** Whether to analyse this frame. Call it for every delivered frame, in order. */
  offer(frame: RgbFrame | I420Frame): boolean {
    const { minFps, maxFps, gridStep } = this.options;
    const grid = sampleLuma(frame, gridStep);
    const previous = this.previous;
    this.previous = { grid, ptsMs: frame.ptsMs };
    // A new run (stream time went back) or a new frame size: start over and take the frame.
    if (
      !previous ||
      frame.ptsMs <= previous.ptsMs ||
      previous.grid.width !== grid.width ||
      previous.grid.height !== grid.height
    ) {
      this.scores = [];
      this.credit = 0;
      this.lastMotion = 0;
      return true;
    }
    this.lastMotion = lumaDifference(previous.grid, grid);
    this.smoothed = this.smooth(frame.ptsMs, this.lastMotion);
    this.target = this.rateFor(this.smoothed);
    if (minFps === maxFps) return true;
    this.credit = Math.min(1, this.credit + ((frame.ptsMs - previous.ptsMs) * this.target) / 1000);
    if (this.credit < 1 - EARLY_SLACK) return false;
    this.credit -= 1;
    return true;
  }

  /** Median of the scores in the last window of stream time: one jittery frame cannot move it. */
  private smooth(ptsMs: number, motion: number): number {
    this.scores.push({ ptsMs, motion });
    const since = ptsMs - this.options.windowMs;
    while (this.scores.length > MIN_SCORES && this.scores[0]!.ptsMs <= since) this.scores.shift();
    const sorted = this.scores.map((s) => s.motion).sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  }

  private rateFor(motion: number): number {
    const { minFps, maxFps, stillMotion, movingMotion } = this.options;
    const share = Math.min(1, Math.max(0, (motion - stillMotion) / (movingMotion - stillMotion)));
    return minFps + (maxFps - minFps) * share;
  }
}

import type { Logger } from '@gic/shared/logging/logger.js';

/** Least time between two warnings that the recording is masked whole for a lagging analysis (ms). */
export const LAG_WARNING_INTERVAL_MS = 60_000;

/**
 * Says, in the log, when the recorder masks the whole frame because the analysis lags the video by
 * more than the recorder's delay allows: a box whose models cannot keep up (no accelerator, a busy
 * CPU) would otherwise record black video with no word why. The first time at once, then at most once
 * a minute, with how many frames were masked for it since the last warning and the worst lag seen.
 */
export class LagWarnings {
  private lastWarnedAt: number | undefined;
  private frames = 0;
  private worstLagMs = 0;

  constructor(
    private readonly log: Pick<Logger, 'warn'>,
    private readonly safeLagMs: number,
    private readonly now: () => number = () => performance.now(),
    private readonly intervalMs = LAG_WARNING_INTERVAL_MS,
  ) {}

  /** A captured frame found the analysis `lagMs` (stream ms) behind, and the recorder failed closed. */
  failedClosed(lagMs: number): void {
    this.frames++;
    this.worstLagMs = Math.max(this.worstLagMs, lagMs);
    const now = this.now();
    if (this.lastWarnedAt !== undefined && now - this.lastWarnedAt < this.intervalMs) return;
    this.log.warn(
      {
        frames: this.frames,
        worstLagMs: Math.round(this.worstLagMs),
        allowedLagMs: this.safeLagMs,
        ...(this.lastWarnedAt === undefined ? {} : { sinceS: Math.round((now - this.lastWarnedAt) / 1000) }),
      },
      `the analysis is up to ${Math.round(this.worstLagMs)} ms behind the video, more than the ${this.safeLagMs} ms the recorder's delay allows: the recording is masked whole until it catches up. The models (GIC_MODELS) take longer a frame than that on this machine: run them on an accelerator; a replayed file can be paced by the analysis (GIC_REPLAY_REALTIME=false)`,
    );
    this.lastWarnedAt = now;
    this.frames = 0;
    this.worstLagMs = 0;
  }
}

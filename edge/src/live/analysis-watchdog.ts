import type { SourceState } from '../capture/capture-supervisor.js';

/** What the screen, the hub and /health/ready are told about live analysis. */
export interface AnalysisHealth {
  /** `running`: frames are being analysed; `idle`: no live source to analyse; `stalled`: see message. */
  state: 'running' | 'idle' | 'stalled';
  /** When the stall was noticed (ISO time). */
  since?: string;
  message?: string;
  /** Capture pipeline restarts the watchdog has made since the box started. */
  restarts: number;
}

export interface WatchdogDeps {
  sourceState(): SourceState;
  /** Restart the capture pipeline (ends the current run and starts a new one at once). */
  restart(reason: string): Promise<void>;
  /** The health changed (stalled, recovered, restarted): tell the screen and the hub. */
  changed(health: AnalysisHealth): void;
  now?: () => number;
}

/** First wait between restarts while the stall lasts (ms): the stall time itself, doubling to this. */
const MAX_RESTART_GAP_MS = 300_000;

/**
 * Notices that the source is live but no frame has been analysed for `stallMs`: a capture card that
 * stopped delivering, a decoder or model that hangs. Then the analysis is reported as stalled (never
 * shown as live) and the capture pipeline is restarted, again with a doubling gap while the stall
 * lasts; the first analysed frame clears it.
 */
export class AnalysisWatchdog {
  private lastProgress: number;
  private stalledAt?: number;
  private nextRestartAt = 0;
  private gapMs: number;
  private restarting = false;
  private current: AnalysisHealth = { state: 'idle', restarts: 0 };

  constructor(
    private readonly stallMs: number,
    private readonly deps: WatchdogDeps,
  ) {
    this.lastProgress = this.now();
    this.gapMs = stallMs;
  }

  get health(): AnalysisHealth {
    return this.current;
  }

  /** A frame was analysed. */
  frameAnalysed(): void {
    this.lastProgress = this.now();
    if (this.current.state !== 'running') {
      this.stalledAt = undefined;
      this.gapMs = this.stallMs;
      this.set({ state: 'running', restarts: this.current.restarts });
    }
  }

  /** The source started a new run (or went live again): its first frame has `stallMs` to arrive. */
  sourceStarted(): void {
    if (this.stalledAt === undefined) this.lastProgress = this.now();
  }

  /** Call about once a second. */
  tick(): void {
    const now = this.now();
    const source = this.deps.sourceState();
    if (source !== 'live' && this.stalledAt === undefined) {
      if (this.current.state !== 'idle') this.set({ state: 'idle', restarts: this.current.restarts });
      this.lastProgress = now;
      return;
    }
    // A source that is lost or ended is reported as such, not as a stall.
    if (source === 'no-signal' || source === 'ended') {
      this.stalledAt = undefined;
      this.gapMs = this.stallMs;
      this.lastProgress = now;
      if (this.current.state !== 'idle') this.set({ state: 'idle', restarts: this.current.restarts });
      return;
    }
    const quietMs = now - this.lastProgress;
    if (quietMs < this.stallMs) return;
    if (this.stalledAt === undefined) {
      this.stalledAt = this.lastProgress + this.stallMs;
      this.nextRestartAt = now;
    }
    const seconds = Math.round(quietMs / 1000);
    const message = `no frame analysed for ${seconds} s while the source is live; restarting the video pipeline`;
    if (now >= this.nextRestartAt && !this.restarting) {
      this.restarting = true;
      this.nextRestartAt = now + this.gapMs;
      this.gapMs = Math.min(MAX_RESTART_GAP_MS, this.gapMs * 2);
      this.set({
        state: 'stalled',
        since: new Date(this.stalledAt).toISOString(),
        message,
        restarts: this.current.restarts + 1,
      });
      void this.deps.restart(message).finally(() => {
        this.restarting = false;
      });
    } else if (this.current.state === 'stalled') {
      this.current = { ...this.current, message };
    }
  }

  private set(health: AnalysisHealth): void {
    this.current = health;
    this.deps.changed(health);
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }
}

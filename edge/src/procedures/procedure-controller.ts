import type { FrameAnalysis } from '@gic/shared/messages/events.js';
import type { EndReason, ProcedureLog, StartTrigger } from '../live/procedure-log.js';

/** When procedures start and end by themselves. */
export interface ProcedureRules {
  /** Start a procedure when the scope has been inside for `autoStartMs`, end it when outside for `autoEndMs`. */
  auto: boolean;
  /** In-body video for this long starts a procedure (stream ms). */
  autoStartMs: number;
  /** Out-of-body video for this long ends one; the end dates back to when the scope came out (stream ms). */
  autoEndMs: number;
  /** A source that stays lost this long ends the open procedure; back sooner, the procedure goes on (ms). */
  sourceLostEndMs: number;
}

export interface OpenProcedure {
  id: string;
  startedAt: string;
  trigger: StartTrigger;
  operator: string | null;
  cecumReachedAt?: string;
  /** Frames stored in it so far. */
  frames: number;
}

export interface ProcedureHooks {
  started(procedure: OpenProcedure): void;
  ended(procedure: OpenProcedure, reason: EndReason, endedAt: string): void;
}

/** What became of a frame handed to the controller. */
export type FrameFate = 'recorded' | 'pending' | 'idle';

/** Frames held while an automatic start is pending: autoStartMs at the fastest analysis rate, and then some. */
const MAX_PENDING_FRAMES = 1000;

/**
 * Decides when procedures start and end: from the screen or the API, and (when `rules.auto`) from the
 * video itself. In-body video for `autoStartMs` starts one, dated back to the first in-body frame, and
 * the frames seen meanwhile become its first frames; out-of-body video for `autoEndMs` ends it. After
 * an operator ends a procedure, an automatic start waits until the scope has been outside, so the
 * operator's "end" is not overridden while the scope is still in. Every start and end is written by
 * ProcedureLog (SQLite and outbox in one transaction). Frame times are stream times (pts, ms), so the
 * rules hold however fast a file is replayed; a lost source is timed on the wall clock.
 */
export class ProcedureController {
  private open?: OpenProcedure;
  private inBodySince?: { ptsMs: number; wallMs: number };
  private outOfBodySince?: { ptsMs: number; wallMs: number };
  private pending: FrameAnalysis[] = [];
  private armed = true;
  private lostAtMs?: number;

  constructor(
    private readonly log: ProcedureLog,
    private readonly source: Parameters<ProcedureLog['start']>[0],
    private readonly sourceLabel: string,
    private rules: ProcedureRules,
    private readonly hooks: ProcedureHooks,
    /** The endoscopist signed in on the screen, named on procedures that start by themselves. */
    private readonly currentOperator: () => string | null = () => null,
    private readonly now: () => number = Date.now,
  ) {}

  /** New rules (the hub's desired configuration), from the next frame on; given only between procedures. */
  setRules(rules: ProcedureRules): void {
    this.rules = { ...rules };
  }

  /** The rules in force. */
  get currentRules(): Readonly<ProcedureRules> {
    return this.rules;
  }

  get current(): OpenProcedure | undefined {
    return this.open;
  }

  /** Starts a procedure now for an operator (screen or API); undefined when one is already open. */
  start(operator: string | null): OpenProcedure | undefined {
    if (this.open) return undefined;
    this.pending = [];
    return this.begin('operator', operator ?? this.currentOperator(), this.now());
  }

  /** Ends the open procedure; undefined when none is open. */
  end(reason: EndReason, by?: string, atMs?: number): OpenProcedure | undefined {
    const procedure = this.open;
    if (!procedure) return undefined;
    const endedAt = new Date(atMs ?? this.now()).toISOString();
    this.log.end(procedure.id, reason, { endedAt, ...(by ? { by } : {}) });
    this.open = undefined;
    this.pending = [];
    if (reason === 'operator') this.armed = false;
    this.hooks.ended(procedure, reason, endedAt);
    return procedure;
  }

  /** Marks the cecum reached in the open procedure (once); returns the time, or undefined. */
  markCecum(by: string): { procedureId: string; at: string } | undefined {
    const procedure = this.open;
    if (!procedure || procedure.cecumReachedAt) return undefined;
    const at = this.log.markCecum(procedure.id, by);
    if (!at) return undefined;
    procedure.cecumReachedAt = at;
    return { procedureId: procedure.id, at };
  }

  /**
   * Feeds one analysed frame: stored in the open procedure ('recorded'), held for a procedure about
   * to start by itself ('pending'), or only shown live ('idle').
   */
  frame(analysis: FrameAnalysis): FrameFate {
    const wallMs = this.now();
    const at = { ptsMs: analysis.ptsMs, wallMs };
    this.lostAtMs = undefined;
    if (analysis.quality.inBody) {
      this.outOfBodySince = undefined;
      this.inBodySince ??= at;
    } else {
      this.inBodySince = undefined;
      this.outOfBodySince ??= at;
      this.armed = true;
    }
    if (this.open) {
      this.record(this.open, analysis);
      const out = this.outOfBodySince;
      if (this.rules.auto && out && analysis.ptsMs - out.ptsMs >= this.rules.autoEndMs)
        this.end('out-of-body', undefined, out.wallMs);
      return 'recorded';
    }
    const since = this.inBodySince;
    if (!this.rules.auto || !this.armed || !since) {
      this.pending = [];
      return 'idle';
    }
    this.pending.push(analysis);
    if (this.pending.length > MAX_PENDING_FRAMES) this.pending.shift();
    if (analysis.ptsMs - since.ptsMs < this.rules.autoStartMs) return 'pending';
    this.beginFromPending('auto');
    return 'recorded';
  }

  /**
   * A finding is about to alert while an automatic start is pending: start now, so that every alert
   * belongs to a procedure. Returns the open procedure, or undefined when none is open or pending.
   */
  startForFinding(): OpenProcedure | undefined {
    if (this.open) return this.open;
    if (this.pending.length === 0) return undefined;
    return this.beginFromPending('finding');
  }

  /** A new run of the source begins: stream times start over, so the body timers do too. */
  runStarted(): void {
    this.inBodySince = undefined;
    this.outOfBodySince = undefined;
    this.pending = [];
  }

  /** The source ended for good (a file's end): the open procedure ends with it. */
  sourceEnded(): void {
    this.pending = [];
    this.end('source-ended');
  }

  /** The source was lost; the procedure ends if it stays lost for `sourceLostEndMs` (see tick). */
  sourceLost(): void {
    this.pending = [];
    if (this.open) this.lostAtMs ??= this.now();
  }

  /** Called every second or so: ends a procedure whose source has stayed lost too long. */
  tick(): void {
    const lostAt = this.lostAtMs;
    if (this.open && lostAt !== undefined && this.now() - lostAt >= this.rules.sourceLostEndMs) {
      this.lostAtMs = undefined;
      this.end('source-lost', undefined, lostAt);
    }
  }

  private beginFromPending(trigger: StartTrigger): OpenProcedure {
    const procedure = this.begin(trigger, this.currentOperator(), this.inBodySince?.wallMs ?? this.now());
    for (const frame of this.pending) this.record(procedure, frame);
    this.pending = [];
    return procedure;
  }

  private record(procedure: OpenProcedure, analysis: FrameAnalysis): void {
    this.log.recordFrame(procedure.id, analysis);
    procedure.frames++;
  }

  private begin(trigger: StartTrigger, operator: string | null, atMs: number): OpenProcedure {
    const { id, startedAt } = this.log.start(this.source, this.sourceLabel, {
      startedAt: new Date(atMs).toISOString(),
      trigger,
      operator,
    });
    this.open = { id, startedAt, trigger, operator, frames: 0 };
    this.lostAtMs = undefined;
    this.hooks.started(this.open);
    return this.open;
  }
}

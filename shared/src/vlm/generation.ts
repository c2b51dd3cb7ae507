/**
 * What every VLM backend shares: a bounded queue of generations, the soft stop (the request's
 * AbortSignal, or the consumer leaving the stream), the hard limit (`timeoutMs`, measured from the
 * first `next()`, queue wait included), and the timing in VlmDone. A backend only turns a request
 * into text pieces and says how it ended; on the hard signal it must stop at once (kill its child,
 * abort its request).
 */
import {
  VlmBusyError,
  type VlmChunk,
  type VlmDone,
  type VlmRequest,
  VlmTimeoutError,
  VlmUnavailableError,
} from './vlm-engine.js';

/** `maxNewTokens` when a request gives none. */
export const DEFAULT_MAX_NEW_TOKENS = 256;

/** How a backend's generation ended. */
export interface BackendEnd {
  reason: VlmDone['reason'];
  tokens: number;
}

/** Signals handed to a backend: `soft` asks it to stop after the current token, `hard` to stop now. */
export interface BackendControl {
  soft: AbortSignal;
  hard: AbortSignal;
}

/** One generation by a backend: calls `emit` per text piece, resolves with how it ended. */
export type Backend = (
  req: VlmRequest,
  ctl: BackendControl,
  emit: (text: string) => void,
) => Promise<BackendEnd>;

/**
 * Generations one at a time (or `running` at once), and at most `maxWaiting` more in line; beyond
 * that `acquire` throws VlmBusyError at once.
 */
export class GenerationQueue {
  private active = 0;
  private readonly waiters: { grant: () => void; abandon: () => void }[] = [];

  constructor(
    readonly maxWaiting: number,
    readonly running = 1,
  ) {}

  /** Generations running and waiting now. */
  get load(): { running: number; waiting: number } {
    return { running: this.active, waiting: this.waiters.length };
  }

  /** Waits for a turn; resolves with the release function, or with null when `signal` fires first. */
  async acquire(signal: AbortSignal): Promise<(() => void) | null> {
    if (this.active < this.running && this.waiters.length === 0) {
      this.active++;
      return this.releaser();
    }
    if (this.waiters.length >= this.maxWaiting) {
      throw new VlmBusyError(`VLM busy: ${this.active} running and ${this.waiters.length} waiting`);
    }
    if (signal.aborted) return null;
    return new Promise((resolve) => {
      const waiter = {
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(this.releaser());
        },
        abandon: () => resolve(null),
      };
      const onAbort = () => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        waiter.abandon();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiters.shift();
      if (next) next.grant();
      else this.active--;
    };
  }
}

/**
 * Runs `backend` for `req` as a VlmEngine stream. `offReason` is asked before queuing (a backend that
 * is off throws its reason as VlmUnavailableError). Nothing starts until the stream's first `next()`.
 * `firstTokenMs` is when the backend produced its first text, however fast the consumer reads.
 */
export async function* queuedGeneration(
  queue: GenerationQueue,
  req: VlmRequest,
  backend: Backend,
  offReason: () => string | null,
): AsyncGenerator<VlmChunk, VlmDone, void> {
  const off = offReason();
  if (off !== null) throw new VlmUnavailableError(off);
  const t0 = performance.now();
  const hard = new AbortController();
  const soft = new AbortController();
  const onCancel = () => soft.abort();
  req.signal?.addEventListener('abort', onCancel, { once: true });
  if (req.signal?.aborted) soft.abort();
  const timer =
    req.timeoutMs !== undefined
      ? setTimeout(
          () => hard.abort(new VlmTimeoutError(`VLM generation passed ${req.timeoutMs} ms`)),
          req.timeoutMs,
        )
      : undefined;
  const elapsed = () => performance.now() - t0;
  let release: (() => void) | null = null;
  let running: Promise<BackendEnd> | undefined;
  try {
    // Wait for a turn; a soft or hard stop while waiting leaves the line.
    const leave = AbortSignal.any([soft.signal, hard.signal]);
    release = await queue.acquire(leave);
    if (hard.signal.aborted) throw hard.signal.reason;
    if (!release) return { reason: 'cancelled', tokens: 0, firstTokenMs: null, totalMs: elapsed() };

    const pieces: string[] = [];
    let wake: (() => void) | undefined;
    const nudge = () => {
      wake?.();
      wake = undefined;
    };
    let settled: { end: BackendEnd } | { error: unknown } | undefined;
    let firstTokenMs: number | null = null;
    running = backend(req, { soft: soft.signal, hard: hard.signal }, (text) => {
      if (text.length === 0) return;
      firstTokenMs ??= elapsed();
      pieces.push(text);
      nudge();
    });
    running.then(
      (end) => {
        // Generation is over: the hard limit no longer applies, however slowly the rest is read.
        clearTimeout(timer);
        settled = { end };
        nudge();
      },
      (error: unknown) => {
        clearTimeout(timer);
        settled = { error };
        nudge();
      },
    );
    hard.signal.addEventListener('abort', nudge, { once: true });
    for (;;) {
      // Past the hard limit (the timer is cleared once the backend has finished normally).
      if (hard.signal.aborted && (!settled || 'error' in settled)) throw hard.signal.reason;
      const text = pieces.shift();
      if (text !== undefined) {
        yield { text };
        continue;
      }
      if (settled) {
        if ('error' in settled) throw settled.error;
        return { ...settled.end, firstTokenMs, totalMs: elapsed() };
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    clearTimeout(timer);
    req.signal?.removeEventListener('abort', onCancel);
    // A consumer that leaves early stops the generation softly; the turn is given up when it has ended.
    soft.abort();
    const free = release;
    if (free) {
      if (running) running.then(free, free);
      else free();
    }
  }
}

/**
 * Frame analysis by the VLM on the edge: what the live path offers, when the model looks, and where
 * its answers go. The live path calls `offer()` for every analysed frame; it returns at once (the
 * scheduler decides in O(1)), and only a frame the model will see is masked and copied: the model
 * sees the de-identified frame, as the recording has it (RecorderMask.frameMask), never the raw one.
 * The model runs in its own process (OnnxVlmEngine) or server (OpenAiVlmEngine), one frame at a time.
 */
import { burnMask, type PrivacyMask } from '@gic/shared/analysis/privacy/privacy-mask.js';
import type { RgbFrame } from '@gic/shared/media/frame.js';
import type { FrameAnalysis } from '@gic/shared/messages/events.js';
import {
  FrameFindingsAnalyzer,
  type FrameFindingsOutcome,
  ParseRateCounter,
} from '@gic/shared/vlm/frame-findings.js';
import { FrameFindingsScheduler, type ScheduledFindings } from '@gic/shared/vlm/frame-findings-scheduler.js';
import type { VlmEngine, VlmImage } from '@gic/shared/vlm/vlm-engine.js';
import type { FrameFindingsLog, StoredFindings } from './frame-findings-log.js';

/** Shown with every result: what the panel and the API say of the model's output. */
export const FINDINGS_NOTICE = 'AI-generated, educational, not a diagnosis';

/** The frame with the mask burned in, packed row after row (no stride), as the model takes it. */
export function maskedImage(frame: RgbFrame, mask: PrivacyMask): VlmImage {
  const burned = burnMask(frame, mask);
  const row = frame.width * 3;
  const rgb = new Uint8Array(row * frame.height);
  for (let y = 0; y < frame.height; y++)
    rgb.set(burned.data.subarray(y * frame.stride, y * frame.stride + row), y * row);
  return { width: frame.width, height: frame.height, rgb };
}

export interface EdgeFrameFindingsDeps {
  engine: VlmEngine;
  log: FrameFindingsLog;
  /** The open procedure; frames are offered only while one is. */
  procedureId: () => string | undefined;
  /** Stream time between routine analyses in the body, ms (GIC_VLM_FRAME_EVERY_S); 0: none. */
  intervalMs: number;
  /** Stream time before another flagged frame is analysed, ms. */
  flaggedCooldownMs?: number;
  /** Hard limit per generation, ms. */
  timeoutMs?: number;
  /** A result was stored (its event waits in the outbox). */
  stored?: (s: StoredFindings) => void;
  /** Failures to store (the store closed under a late result). */
  warn?: (message: string) => void;
}

/** What the screen and the status JSON show. */
export interface FrameFindingsStatus {
  state: 'ready' | 'off';
  reason?: string;
  model?: string;
  notice: string;
  busy: boolean;
  /** Frames a trigger wanted that a busier one replaced or that waited behind a running analysis. */
  skipped: number;
  counts: Record<FrameFindingsOutcome, number>;
  /** Parsed (first try or after repair) over answered, 0..1; null before any answer. */
  parseRate: number | null;
  firstTryRate: number | null;
  latest: StoredFindings | null;
}

interface LatestFrame {
  frame: RgbFrame;
  at: string;
  mask: () => PrivacyMask;
  procedureId: string;
}

/** The edge's frame analysis by the VLM (see the file's comment). */
export class EdgeFrameFindings {
  readonly counter = new ParseRateCounter();
  private readonly scheduler: FrameFindingsScheduler;
  /** The procedure of each frame taken, by stream time, until its result is stored. */
  private readonly procedureOf = new Map<number, string>();
  private lastInBody: LatestFrame | undefined;
  private latestStored: StoredFindings | null = null;

  constructor(private readonly deps: EdgeFrameFindingsDeps) {
    const analyzer = new FrameFindingsAnalyzer(deps.engine, {
      counter: this.counter,
      ...(deps.timeoutMs ? { timeoutMs: deps.timeoutMs } : {}),
    });
    this.scheduler = new FrameFindingsScheduler(analyzer, {
      intervalMs: deps.intervalMs,
      ...(deps.flaggedCooldownMs !== undefined ? { flaggedCooldownMs: deps.flaggedCooldownMs } : {}),
      onResult: (r) => this.stored(r),
    });
  }

  /** From the live path, for every analysed frame: never waits; masks and copies only a frame it takes. */
  offer(frame: RgbFrame, analysis: FrameAnalysis, mask: () => PrivacyMask): void {
    // An engine that is off (no model, a server not reachable yet) takes no frame until it is back.
    if (this.deps.engine.status().state === 'off') return;
    const procedureId = this.deps.procedureId();
    if (!procedureId) return;
    const inBody = analysis.quality.inBody;
    // The frame's time: when it was captured (a live source), else now (a replayed file).
    const at = analysis.capturedAt ?? new Date().toISOString();
    if (inBody) this.lastInBody = { frame, at, mask, procedureId };
    const taken = this.scheduler.offer({
      image: () => maskedImage(frame, mask()),
      streamMs: frame.ptsMs,
      at,
      inBody,
      flagged: analysis.detections.length > 0,
    });
    if (taken) this.procedureOf.set(frame.ptsMs, procedureId);
  }

  /**
   * The screen asked for the latest in-body frame to be analysed next. Returns the frame's stream
   * time, or why not; the result arrives like any other (status, outbox), not in this call.
   */
  request(): { ok: true; ptsMs: number } | { ok: false; status: 409 | 503; error: string } {
    const status = this.deps.engine.status();
    if (status.state === 'off')
      return { ok: false, status: 503, error: `no vision-language model: ${status.reason}` };
    const last = this.lastInBody;
    if (!last || this.deps.procedureId() !== last.procedureId)
      return { ok: false, status: 409, error: 'no frame from inside the body in this procedure yet' };
    const { frame, mask, at } = last;
    this.procedureOf.set(frame.ptsMs, last.procedureId);
    this.scheduler
      .request({ image: () => maskedImage(frame, mask()), streamMs: frame.ptsMs, at })
      .catch(() => {}); // closed while waiting: nothing to store
    return { ok: true, ptsMs: frame.ptsMs };
  }

  status(): FrameFindingsStatus {
    const s = this.deps.engine.status();
    return {
      ...(s.state === 'ready'
        ? { state: 'ready' as const, model: s.model }
        : { state: 'off' as const, reason: s.reason }),
      notice: FINDINGS_NOTICE,
      busy: this.scheduler.busy,
      skipped: this.scheduler.skipped,
      counts: { ...this.counter.counts },
      parseRate: this.counter.parseRate,
      firstTryRate: this.counter.firstTryRate,
      latest: this.latestStored,
    };
  }

  /** Takes no more frames; a running analysis finishes (and is stored if the store is still open). */
  close(): void {
    this.scheduler.close();
  }

  private stored(r: ScheduledFindings): void {
    const procedureId = this.procedureOf.get(r.streamMs) ?? this.deps.procedureId();
    for (const ms of this.procedureOf.keys()) if (ms <= r.streamMs) this.procedureOf.delete(ms);
    if (!procedureId) return;
    const s = this.deps.engine.status();
    try {
      const stored = this.deps.log.record(procedureId, s.state === 'ready' ? s.model : 'unknown', r);
      this.latestStored = stored;
      this.deps.stored?.(stored);
    } catch (err) {
      this.deps.warn?.(`frame findings not stored: ${(err as Error).message}`);
    }
  }
}

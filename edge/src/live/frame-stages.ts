import { channel } from 'node:diagnostics_channel';
import type { Scan } from '@gic/shared/analysis/frame-analyzer.js';
import type { StageTimes } from '@gic/shared/analysis/stage-times.js';

/**
 * Where each live frame's time went between the appsink and its push to the screens, published on
 * FRAME_STAGES_CHANNEL (node:diagnostics_channel) once the frame's live state has been sent. Nothing
 * is measured while nobody subscribes; bench:edge does, in the edge's own process.
 */
export interface LiveFrameStages {
  frameIndex: number;
  /** How its text was searched (ScanCadence). */
  scan: Scan | undefined;
  /** Frames in its analysis batch. */
  batch: number;
  /** performance.now() when the appsink handed it over, and once its live state was sent. */
  capturedAt: number;
  pushedAt: number;
  /**
   * ms by stage, in order: `wait` (queued behind the running batch), the analyzer's (ThreadedAnalyzer
   * and FrameAnalyzer analyseBatch: `copy`, `hand-over`, `picture`, `text-full.*`, ...; `thread` is
   * their sum on the analysis thread), `batch-mates` (results of earlier frames of its batch handled
   * first), `mask` (the recorder's mask decided and set), `layout` (the learned layout), then
   * LiveSession's `store` (procedure control, SQLite and outbox), `alerts` and `push` (live state
   * built, JSON, WebSocket send), and `after-push` (alert thumbnails, the VLM's offer: after
   * `pushedAt`, yet before the screen's message can be read on this thread).
   */
  stages: StageTimes;
}

export const FRAME_STAGES_CHANNEL = 'gic:edge:live-frame-stages';
export const frameStagesChannel = channel(FRAME_STAGES_CHANNEL);

/** Stage times for a frame's batch, or none (nothing measured) while nobody listens. */
export function frameStageTimes(): StageTimes | undefined {
  return frameStagesChannel.hasSubscribers ? {} : undefined;
}

/** Adds the time since `since` to `stage` and returns now; without `times`, does nothing. */
export function lap(
  times: StageTimes | undefined,
  stage: string,
  since: number | undefined,
): number | undefined {
  if (!times || since === undefined) return undefined;
  const now = performance.now();
  times[stage] = (times[stage] ?? 0) + now - since;
  return now;
}

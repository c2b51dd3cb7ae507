import { AdaptiveSampler } from '@gic/shared/analysis/adaptive-sampler.js';
import { encodeJpeg } from '@gic/shared/media/encode-jpeg.js';
import { readVideoFrames } from '@gic/shared/media/file-frames.js';
import type { Database } from '../db/database.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { StageContext } from './batch-processor.js';
import { clearFrames, insertFrames } from './results-repo.js';
import { analysisSize, videoSource } from './video-source.js';

export interface BatchOptions {
  /** Frames analysed per second of video while the view is still (fps): the uniform sampling. */
  sampleFps: number;
  /** Most frames analysed per second under motion (fps): the adaptive sampler's ceiling. */
  maxFps: number;
  /** Analysis frames are at most this wide (px), aspect kept. */
  maxWidth: number;
  /** Frames analysed together in one call of the engine. */
  batchSize: number;
  /** One key frame, the best view, in each stretch of this many seconds, besides findings. */
  keyframeEveryS: number;
  /**
   * Which videos are searched for text: `uploads` (a raw upload, to make its de-identified copy; a
   * room's recording and a masked copy were de-identified when written) or `always` (key frames
   * of those masked again by the hub's own pass).
   */
  textScan: 'uploads' | 'always';
}

/** JPEG quality of sampled frames held between the stages (1..100): high, the engine reads them. */
const FRAME_QUALITY = 92;
/** Rows written to PostgreSQL at once. */
const INSERT_EVERY = 32;

/** Where a run's sampled frames wait for analysis (deleted once analysed). */
export const frameKey = (runId: string, index: number) => `work/${runId}/frames/${index}.jpg`;

/**
 * Stage 1: decodes the video straight from the object store (GStreamer reads it by HTTP range
 * requests: never whole in memory) at up to `maxFps`, and keeps the frames the edge's adaptive
 * sampler picks: `sampleFps` while the view is still, more under motion, always the first. Kept frames
 * go to the object store for the analyse stage. A retry starts over.
 */
export async function extractStage(
  ctx: StageContext,
  deps: { db: Database; store: ObjectStore; options: BatchOptions },
): Promise<void> {
  const { db, store, options } = deps;
  await clearFrames(db, ctx.runId);
  const source = await videoSource(db, store, ctx.procedureId);
  const size = analysisSize(source.facts, options.maxWidth);
  const sampler = new AdaptiveSampler({ minFps: options.sampleFps, maxFps: options.maxFps });
  const total = Math.max(1, source.facts.durationMs);
  let index = 0;
  let offsetMs = 0;
  let pending: { index: number; tMs: number; motion: number; key: string }[] = [];
  for (const [i, key] of source.keys.entries()) {
    const url = await store.presignGet(key, { internal: true, expiresIn: 6 * 3600 });
    for await (const frame of readVideoFrames({ url }, { ...size, fps: options.maxFps })) {
      const tMs = offsetMs + frame.ptsMs;
      const shifted = { ...frame, ptsMs: tMs };
      if (!sampler.offer(shifted)) continue;
      const k = frameKey(ctx.runId, index);
      await store.put(k, await encodeJpeg({ ...shifted, index }, { quality: FRAME_QUALITY }), 'image/jpeg');
      pending.push({ index, tMs, motion: sampler.motion, key: k });
      index++;
      if (pending.length >= INSERT_EVERY) {
        await insertFrames(db, ctx.runId, pending);
        pending = [];
      }
      await ctx.progress(tMs / total);
    }
    offsetMs += source.durationsMs[i]!;
  }
  await insertFrames(db, ctx.runId, pending);
  if (index === 0) throw new Error('no frame could be read from the video');
  ctx.log.info({ frames: index, ...size }, 'frames sampled');
}

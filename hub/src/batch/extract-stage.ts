import { AdaptiveSampler } from '@gic/shared/analysis/adaptive-sampler.js';
import type { Scan } from '@gic/shared/analysis/frame-analyzer.js';
import type { ThreadedAnalyzer } from '@gic/shared/analysis/threaded-analyzer.js';
import { BufferPool } from '@gic/shared/media/buffer-pool.js';
import { encodeJpeg } from '@gic/shared/media/encode-jpeg.js';
import { readVideoI420Frames } from '@gic/shared/media/file-frames.js';
import { type RgbFrame, rgbStride } from '@gic/shared/media/frame.js';
import { I420ToRgb } from '@gic/shared/media/i420-to-rgb.js';
import type { ModelRef } from '@gic/shared/messages/events.js';
import type { Database } from '../db/database.js';
import type { ObjectStore } from '../storage/object-store.js';
import { analysisShareOf } from './analyse-stage.js';
import type { StageContext } from './batch-processor.js';
import { BoundedBatches } from './bounded-batches.js';
import { keyFramesWhileStill } from './key-frame-gate.js';
import { KeyframeCandidates } from './keyframe-candidates.js';
import { setWaitingStageProgress } from './processing-repo.js';
import { clearFrames, insertFrames, saveAnalyses } from './results-repo.js';
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
  /**
   * Threads of the libav video decoder (0: libav's own choice); absent: one while the engine runs on
   * the CPU, libav's choice on a GPU (`decoderThreadsFor`; see GIC_BATCH_DECODE_THREADS).
   */
  decoderThreads?: number;
  /** One key frame, the best view, in each stretch of this many seconds, besides findings. */
  keyframeEveryS: number;
  /**
   * Which videos are searched for text: `uploads` (a raw upload, to make its de-identified copy; a
   * room's recording and a masked copy were de-identified when written) or `always` (key frames
   * of those masked again by the hub's own pass).
   */
  textScan: 'uploads' | 'always';
}

/** JPEG quality of sampled frames kept as key frame candidates (1..100): the key frames are made from them. */
const FRAME_QUALITY = 92;
/**
 * Batches analysed (or waiting for the engine) while the decoder goes on: two keep the engine's thread
 * busy (one analysing, one queued) while a third fills; more would only hold more frames in memory.
 */
const BATCHES_AHEAD = 2;
/** How often the overlapped analysis writes the analyse stage's progress (ms). */
const PROGRESS_EVERY_MS = 1000;

/** Where a run's key frame candidates are kept until the analyse stage has chosen the key frames. */
export const frameKey = (runId: string, index: number) => `work/${runId}/frames/${index}.jpg`;

export interface ExtractDeps {
  db: Database;
  store: ObjectStore;
  options: BatchOptions;
  /**
   * The worker's engine (the shared analysis the edge runs, in its own thread), given each batch's
   * frames outright: they come back with their analyses, no copy either way.
   */
  analyzer: () => Promise<Pick<ThreadedAnalyzer, 'analyseLent' | 'models'>>;
}

/**
 * The decoder's threads when not configured: one when any model runs on the CPU. There the decoder's
 * own threads would take the cores the analysis needs (bench:batch run 2 on 2 cores: 16.1 s, 1.62x
 * decode-only, against 18.2 s, 1.96x, with libav's threads); with every model on a GPU, libav's
 * choice decodes fastest.
 */
export function decoderThreadsFor(models: readonly ModelRef[]): number {
  return models.length === 0 || models.some((m) => m.executionProvider === 'cpu') ? 1 : 0;
}

/**
 * Whether the decoder may skip the frames no other frame refers to (most of x264's B-frames, as in the
 * hub's masked copies: about a third less decoding; a room's recordings have none). The reader counts
 * a frame's time by its place at `maxFps`, so every stretch of 1 / maxFps must still hold a decoded
 * frame: with at most three frames in a row skipped (x264's default of three B-frames, and fewer with
 * its b-pyramid), that holds while the video has four frames or more for each read. A frame read for a
 * time is then the decoded one nearest it (at 30 fps, 33 or at most 67 ms away).
 */
export function skipsNonReferenceFrames(videoFps: number, maxFps: number): boolean {
  return videoFps > 0 && maxFps * 4 <= videoFps;
}

interface Sampled {
  frame: RgbFrame;
  motion: number;
}

/**
 * Stage 1, decode and analysis overlapped: decodes the video straight from the object store
 * (GStreamer reads it by HTTP range requests: never whole in memory) at up to `maxFps`, and keeps the
 * frames the edge's adaptive sampler picks: `sampleFps` while the view is still, more under motion,
 * always the first. Kept frames go in batches through a bounded queue to the engine while decoding
 * goes on; each analysed batch gets a row per frame with its analysis (keyed by run and frame index:
 * writing one again replaces it), and the frames that may become key frames are stored (JPEG). A retry,
 * after a crash say, starts over from a cleared run, so no frame is counted twice. The analyse stage
 * then analyses whatever is left unanalysed (nothing, unless this stage was changed mid-run) and
 * chooses the key frames.
 */
export async function extractStage(ctx: StageContext, deps: ExtractDeps): Promise<void> {
  const { db, store, options } = deps;
  await clearFrames(db, ctx.runId);
  const source = await videoSource(db, store, ctx.procedureId);
  const size = analysisSize(source.facts, options.maxWidth);
  const sampler = new AdaptiveSampler({ minFps: options.sampleFps, maxFps: options.maxFps });
  // The engine is loaded (its first time) before decoding, which needs to know where it runs.
  const engine = deps.analyzer();
  engine.catch(() => {}); // thrown by the first batch that waits for it
  const decoderThreads =
    options.decoderThreads ?? decoderThreadsFor((await engine.catch(() => undefined))?.models ?? []);
  const scan: Scan = source.raw || options.textScan === 'always' ? 'full' : 'none';
  const total = Math.max(1, source.facts.durationMs);
  const skipNonReferenceFrames = skipsNonReferenceFrames(source.facts.fps, options.maxFps);
  const candidates = new KeyframeCandidates(options.keyframeEveryS * 1000);
  // Frames are read as the decoder gives them (I420) for the sampler, which needs their luma alone;
  // only the frames it keeps are converted to RGB for the engine, as they are read. Their buffers
  // are recycled: the frames in flight are at most a batch filling and BATCHES_AHEAD at work.
  const rgb = new I420ToRgb();
  const pool = new BufferPool(rgbStride(size.width) * size.height, options.batchSize * (BATCHES_AHEAD + 2));
  const batches = new BoundedBatches<Sampled>(options.batchSize, BATCHES_AHEAD, async (items) => {
    const { analyses, frames } = await (await engine).analyseLent(
      items.map((i) => i.frame),
      items.map(() => scan),
    );
    // Only a frame that may become a key frame is kept as a picture (a JPEG encode and an upload
    // each); the others keep their analysis alone.
    const rows = await Promise.all(
      frames.map(async (frame, i) => {
        const { motion } = items[i]!;
        let key: string | null = null;
        if (candidates.offer(analyses[i]!)) {
          key = frameKey(ctx.runId, frame.index);
          await store.put(key, await encodeJpeg(frame, { quality: FRAME_QUALITY }), 'image/jpeg');
        }
        return { index: frame.index, tMs: frame.ptsMs, motion, key };
      }),
    );
    for (const frame of frames) pool.give(frame.data);
    await insertFrames(db, ctx.runId, rows);
    await saveAnalyses(db, ctx.runId, analyses);
    // The analyse stage's progress, shown while this one does its work (by video time analysed).
    if (Date.now() - reported >= PROGRESS_EVERY_MS) {
      reported = Date.now();
      const share = (frames.at(-1)!.ptsMs / total) * analysisShareOf(source.raw);
      await setWaitingStageProgress(db, ctx.runId, 'analyse', share);
    }
  });
  let reported = 0;
  let index = 0;
  let offsetMs = 0;
  try {
    for (const [i, key] of source.keys.entries()) {
      const url = await store.presignGet(key, { internal: true, expiresIn: 6 * 3600 });
      for await (const frame of readVideoI420Frames(
        { url },
        // One buffer for every decoded frame: the sampler keeps about one in maxFps / sampleFps, and
        // only those are converted out of it (the others allocate nothing).
        {
          ...size,
          fps: options.maxFps,
          decoderThreads,
          reuseBuffer: true,
          skipNonReferenceFrames,
          // A raw upload is searched for text on frames as the sampler picks them, as before.
          ...(scan === 'none' ? { keyFrameGate: keyFramesWhileStill(sampler) } : {}),
        },
      )) {
        const tMs = offsetMs + frame.ptsMs;
        const shifted = { ...frame, ptsMs: tMs };
        if (!sampler.offer(shifted)) continue;
        // Converted before the next frame is read into the same buffer.
        const kept = await rgb.convert({ ...shifted, index }, pool.take());
        await batches.push({ frame: kept, motion: sampler.motion });
        index++;
        await ctx.progress(tMs / total);
      }
      offsetMs += source.durationsMs[i]!;
    }
    await batches.finish();
  } catch (err) {
    // Nothing of this attempt may still write once it has failed (a retry clears the run first).
    await batches.settle();
    throw err;
  } finally {
    rgb.close();
  }
  if (index === 0) throw new Error('no frame could be read from the video');
  ctx.log.info({ frames: index, ...size }, 'frames sampled and analysed');
}

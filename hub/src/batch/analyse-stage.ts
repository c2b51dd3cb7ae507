import { randomUUID } from 'node:crypto';
import type { Scan } from '@gic/shared/analysis/frame-analyzer.js';
import { burnMask } from '@gic/shared/analysis/privacy/index.js';
import type { Analyzer } from '@gic/shared/analysis/threaded-analyzer.js';
import { decodeImage } from '@gic/shared/media/decode-image.js';
import { encodeJpeg } from '@gic/shared/media/encode-jpeg.js';
import type { RgbFrame } from '@gic/shared/media/frame.js';
import type { FrameAnalysis } from '@gic/shared/messages/events.js';
import { type Database, inTransaction } from '../db/database.js';
import type { ObjectStore } from '../storage/object-store.js';
import { probeVideo } from '../videos/video-probe.js';
import { markRawDeleted, recordMaskedCopy } from '../videos/videos-repo.js';
import type { StageContext } from './batch-processor.js';
import type { BatchOptions } from './extract-stage.js';
import { chooseKeyframes } from './keyframe-choice.js';
import { MaskTimeline } from './mask-timeline.js';
import { renderMaskedVideo } from './masked-video.js';
import {
  type BatchFrameRow,
  forgetFrameObjects,
  framesOf,
  replaceKeyframes,
  saveAnalyses,
} from './results-repo.js';
import { analysisSize, videoSource } from './video-source.js';

export interface AnalyseDeps {
  db: Database;
  store: ObjectStore;
  options: BatchOptions;
  /** The worker's engine, loaded once (the same `shared/` analysis the edge runs, in its own thread). */
  analyzer: () => Promise<Pick<Analyzer, 'analyseBatch'>>;
  /** Keep an upload's raw file once its masked copy is verified (retention deletes it later). */
  keepRaw: boolean;
}

/**
 * The share of this stage's progress that the frames' analysis is: the rest is key frames, and for
 * a raw upload the de-identified copy (a full decode, mask and re-encode).
 */
export const analysisShareOf = (raw: boolean) => (raw ? 0.5 : 0.9);

/** Key frames are stored this wide (px). */
const KEYFRAME_WIDTH = 640;

const readFrame = async (
  store: ObjectStore,
  row: BatchFrameRow,
  size: { width: number; height: number },
) => ({
  ...(await decodeImage(await store.readAll(row.object_key!), size)),
  index: row.frame_index,
  ptsMs: row.t_ms,
});

/**
 * Stage 2: the extract stage analysed the frames as it decoded them (the shared engine: quality,
 * in/out of body, privacy, the polyp model when installed; results in PostgreSQL); any sampled frame
 * still without its analysis is analysed here from its stored JPEG, in batches. Then masked key frames
 * to the object store; for an upload, the de-identified copy made, verified (read back: SHA-256 and a
 * GStreamer probe) and only then the raw file deleted. Frames already analysed are kept.
 */
export async function analyseStage(ctx: StageContext, deps: AnalyseDeps): Promise<void> {
  const { db, store, options } = deps;
  const source = await videoSource(db, store, ctx.procedureId);
  const size = analysisSize(source.facts, options.maxWidth);
  const rows = await framesOf(db, ctx.runId);
  if (rows.length === 0) throw new Error('the extract stage left no frames');
  const todo = rows.filter((r) => !r.analysis);
  if (todo.some((r) => !r.object_key)) throw new Error('sampled frames are gone: run processing again');
  const analyzer = await deps.analyzer();
  const analysisShare = analysisShareOf(source.raw);
  // A room's recording and a masked copy were de-identified as they were written: searching them for
  // text again costs most of the analysis and changes only their key frames (by configuration).
  const scan: Scan = source.raw || options.textScan === 'always' ? 'full' : 'none';
  const done0 = rows.length - todo.length;
  // Where the extract stage's overlapped analysis left this stage's progress (its attempt began at 0).
  await ctx.progress((done0 / rows.length) * analysisShare);
  // The next batch is read and decoded (object store, GStreamer) while the engine's thread analyses
  // this one, so the engine never waits for its input: one batch of frames more in memory.
  const load = (from: number): Promise<RgbFrame[]> | undefined => {
    if (from >= todo.length) return undefined;
    const reading = Promise.all(
      todo.slice(from, from + options.batchSize).map((r) => readFrame(store, r, size)),
    );
    reading.catch(() => {}); // its failure is thrown where it is awaited, or not at all after a failed batch
    return reading;
  };
  let next = load(0);
  for (let i = 0; i < todo.length; i += options.batchSize) {
    const frames = await next!;
    next = load(i + options.batchSize);
    await saveAnalyses(
      db,
      ctx.runId,
      await analyzer.analyseBatch(
        frames,
        frames.map(() => scan),
      ),
    );
    await ctx.progress(((done0 + i + frames.length) / rows.length) * analysisShare);
  }
  const analysed = (await framesOf(db, ctx.runId)).filter((r) => r.analysis);
  const analyses = analysed.map((r) => r.analysis as FrameAnalysis);
  const timeline = new MaskTimeline(analyses);

  const keyframes = chooseKeyframes(analyses, options.keyframeEveryS * 1000);
  const stored: { tMs: number; reason: string; key: string }[] = [];
  for (const k of keyframes) {
    const row = analysed.find((r) => r.t_ms === k.tMs && r.object_key);
    if (!row)
      throw new Error(`the frame at ${k.tMs} ms chosen as a key frame was not kept: run processing again`);
    const masked = burnMask(await readFrame(store, row, size), timeline.maskAt(k.tMs));
    const key = `keyframes/${ctx.procedureId}/${ctx.runId}/${k.tMs}.jpg`;
    await store.put(key, await encodeJpeg(masked, { quality: 85, width: KEYFRAME_WIDTH }), 'image/jpeg');
    stored.push({ tMs: k.tMs, reason: k.reason, key });
  }
  await replaceKeyframes(db, ctx.runId, ctx.procedureId, stored);
  await ctx.progress(analysisShare + 0.05);

  if (source.raw) {
    const to = `videos/${ctx.procedureId}/masked-${ctx.runId}.mp4`;
    const written = await renderMaskedVideo(store, source.keys[0]!, to, source.facts, timeline, (share) =>
      ctx.progress(analysisShare + 0.05 + share * (0.9 - analysisShare)),
    );
    const readBack = await store.sha256(to);
    if (readBack.sha256 !== written.sha256 || readBack.bytes !== written.bytes)
      throw new Error(
        `the masked copy read back as ${readBack.bytes} bytes, ${readBack.sha256}; written ${written.bytes}`,
      );
    // Verified: stored byte for byte as encoded, decodable, and every frame of the upload in it. (A
    // fragmented MP4 written as a stream declares no total duration, so the frames are counted instead.)
    await probeVideo(await store.presignGet(to, { internal: true, expiresIn: 600 }));
    const lastsMs = (written.frames * 1000) / written.fps;
    const tolerance = Math.max(1500, source.facts.durationMs * 0.05);
    if (Math.abs(lastsMs - source.facts.durationMs) > tolerance)
      throw new Error(
        `the masked copy holds ${lastsMs} ms of frames, the upload lasts ${source.facts.durationMs} ms`,
      );
    await inTransaction(db, (client) =>
      recordMaskedCopy(client, {
        procedureId: ctx.procedureId,
        recordingId: randomUUID(),
        key: to,
        bytes: written.bytes,
        sha256: written.sha256,
        crc32: readBack.crc32,
      }),
    );
    ctx.log.info({ key: to, bytes: written.bytes, frames: written.frames }, 'masked copy verified');
    if (!deps.keepRaw) {
      await store.delete(source.keys[0]!);
      await markRawDeleted(db, ctx.procedureId);
      ctx.log.info('raw upload deleted');
    }
  }
  for (const r of rows) if (r.object_key) await store.delete(r.object_key).catch(() => {});
  await forgetFrameObjects(db, ctx.runId);
}

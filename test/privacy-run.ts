/**
 * Runs the edge, as a room would (its documented start, no hub reachable), over a generated tower clip,
 * and hands back what left the box: the recording, the frame analyses, and the procedure's figure for
 * the share of the picture masked. Then reads the recording with the OCR oracle.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEdgeConfig } from '@gic/edge/config.js';
import { startEdge } from '@gic/edge/edge-process.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { readFileFrames } from '@gic/shared/media/file-frames.js';
import type { RgbFrame } from '@gic/shared/media/frame.js';
import type { FrameAnalysis } from '@gic/shared/messages/events.js';
import { type OracleResult, readIdentifiers } from '@gic/shared/testing/ocr-oracle.js';
import type { PrivacyClip } from '@gic/shared/testing/privacy-clips.js';
import { writeTowerClip } from '@gic/shared/testing/tower-clip.js';
import { inject } from 'vitest';
import { freePort } from './ports.js';

export const modelsDir = join(import.meta.dirname, '..', 'models');

export interface ClipRun {
  recording: string;
  analyses: FrameAnalysis[];
  /** The procedure's mean share of the picture masked over in-body frames, as its end event says. */
  maskedInPicture: number | null;
}

/** A folder the embedded parts (and a root test run) can use. */
export function workDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `gic-${name}-`));
  chmodSync(dir, 0o711);
  return dir;
}

/**
 * The clip as a file, written once per test run: the privacy test files use the same clips, and
 * writing one (drawn frame by frame, then encoded) takes seconds. Kept in the run's clip folder, by
 * a hash of the clip's options (functions by their source).
 */
export async function clipFile(clip: PrivacyClip): Promise<string> {
  const options = JSON.stringify(clip.options, (_k, v) => (typeof v === 'function' ? String(v) : v));
  const key = createHash('sha256').update(clip.name).update(options).digest('hex').slice(0, 20);
  const path = join(inject('clipCacheDir'), `${key}.mp4`);
  if (!existsSync(path)) {
    const partial = join(inject('clipCacheDir'), `${key}.${process.pid}.mp4`);
    await writeTowerClip(partial, clip.options);
    renameSync(partial, path);
  }
  return path;
}

/** Runs the edge over the clip (replayed as fast as analysis goes, every frame seen), with `env` on top. */
export async function recordClip(
  dir: string,
  clipPath: string,
  env: Record<string, string> = {},
): Promise<ClipRun> {
  const edgeDir = mkdtempSync(join(dir, 'edge-'));
  const edge = await startEdge(
    loadEdgeConfig({
      GIC_EDGE_DATA_DIR: edgeDir,
      GIC_EDGE_PORT: String(await freePort()),
      GIC_HUB_URL: `http://127.0.0.1:${await freePort()}`, // nobody there: the room works offline
      GIC_ENROLMENT_TOKEN: `gic-enrol-${'A'.repeat(43)}`,
      GIC_SOURCE: `file:${clipPath}`,
      GIC_REPLAY_REALTIME: 'false',
      GIC_ANALYSIS_FPS: '5',
      GIC_ANALYSIS_MIN_FPS: '5',
      GIC_MODELS_DIR: modelsDir,
      GIC_PROCEDURE_AUTO_START_S: '1',
      ...env,
    }),
    createLogger('privacy-run', 'silent'),
  );
  try {
    const end = await edge.sourceEnded;
    if (end.kind !== 'eos') throw new Error(`the clip did not play to its end: ${JSON.stringify(end)}`);
    const rows = edge.db
      .prepare("SELECT path FROM recordings WHERE status = 'ready' ORDER BY created_at")
      .all() as {
      path: string;
    }[];
    if (rows.length !== 1) throw new Error(`expected one recording, found ${rows.length}`);
    const analyses = (
      edge.db.prepare('SELECT analysis FROM frame_analyses ORDER BY frame_index').all() as {
        analysis: string;
      }[]
    ).map((r) => JSON.parse(r.analysis) as FrameAnalysis);
    const procedure = edge.db
      .prepare('SELECT masked_in_picture_sum AS sum, masked_in_picture_frames AS frames FROM procedures')
      .get() as { sum: number; frames: number };
    return {
      recording: rows[0]!.path,
      analyses,
      maskedInPicture: procedure.frames > 0 ? procedure.sum / procedure.frames : null,
    };
  } finally {
    await edge.stop();
  }
}

/**
 * The recording's frames, at 1280x720 unless `size` says otherwise: `fps` a second, and every frame
 * read (`watchFps`) in watched windows.
 */
export async function recordingFrames(
  path: string,
  fps: number,
  watch: [number, number][] = [],
  watchFps = 6,
  size: { width: number; height: number } = { width: 1280, height: 720 },
): Promise<RgbFrame[]> {
  const frames: RgbFrame[] = [];
  const step = Math.round(watchFps / fps);
  for await (const frame of readFileFrames(path, { ...size, fps: watchFps })) {
    const t = frame.ptsMs / 1000;
    const watched = watch.some(([a, b]) => t >= a && t <= b);
    if (watched || frame.index % step === 0) frames.push({ ...frame, data: Buffer.from(frame.data) });
  }
  return frames;
}

/** What the oracle reads of the clip's identifiers in the recording. */
export async function readRecording(
  run: ClipRun,
  clip: PrivacyClip,
  {
    fps = 2,
    stopAfter,
    nativeSize = false,
  }: {
    fps?: number;
    stopAfter?: number;
    /** Read frames at the clip's own size (not 1280x720), where small print is read far more often. */
    nativeSize?: boolean;
  } = {},
): Promise<OracleResult> {
  const { width, height } = clip.options;
  return readIdentifiers(
    await recordingFrames(run.recording, fps, clip.watch, 6, nativeSize ? { width, height } : undefined),
    clip.identifiers,
    clip.patterns,
    { stopAfter },
  );
}

/** Mean share of the picture masked over the in-body analysed frames that carry the figure. */
export function falseMaskShare(run: ClipRun): number {
  const shares = run.analyses
    .filter((a) => a.quality.inBody && a.maskedInPicture !== undefined)
    .map((a) => a.maskedInPicture!);
  return shares.length ? shares.reduce((a, b) => a + b, 0) / shares.length : Number.NaN;
}

/** Mean luma (0..255) of the middle of a frame: the picture, which must stay visible. */
export function middleLuma(frame: RgbFrame): number {
  let sum = 0;
  let n = 0;
  for (let y = Math.floor(frame.height * 0.3); y < frame.height * 0.7; y += 2) {
    for (let x = Math.floor(frame.width * 0.35); x < frame.width * 0.65; x += 2) {
      const p = y * frame.stride + x * 3;
      sum += 0.299 * frame.data[p]! + 0.587 * frame.data[p + 1]! + 0.114 * frame.data[p + 2]!;
      n++;
    }
  }
  return sum / n;
}

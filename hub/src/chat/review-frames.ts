import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CHAT_IMAGE_SIZE, type CurrentFrame } from '@gic/shared/chat/chat-prompt.js';
import type { Logger } from '@gic/shared/logging/logger.js';
import { readFrameAt } from '@gic/shared/media/frame-at.js';
import type { Queryable } from '../db/database.js';
import { locate, timelineOffsetMs } from '../procedures/playlist.js';
import { loadTimeline } from '../procedures/procedure-timeline.js';
import type { ObjectStore } from '../storage/object-store.js';
import { probeVideo } from '../videos/video-probe.js';
import { availableSegments, findVideo } from '../videos/videos-repo.js';

/** How long each step of finding a picture may take (probing a segment, downloading it, seeking and decoding), ms. */
export const FRAME_STEP_TIMEOUT_MS = 8_000;
/** How long the model's answer may wait for its picture at most (ms); then it comes without one. */
export const FRAME_TOTAL_TIMEOUT_MS = 10_000;
/** Segments probed at once the first time a procedure's recording is placed. */
const PROBES_AT_ONCE = 4;
/** Segment lengths kept (an object's key names one immutable object, so they never go stale). */
const KNOWN_LENGTHS = 2_000;

/** One object of a procedure's de-identified recording, in playing order. */
export interface RecordingPiece {
  key: string;
  durationMs: number;
  /** Frame length (ms): the last frame of a piece starts this long before its end. */
  frameMs: number;
}

/**
 * Where time `tMs` on the procedure's axis lies in its recording, as the review page places it: the
 * pieces played one after another, shifted by `offsetMs` (where the axis's zero lies in the video),
 * and within a piece no later than its last frame. Null without pieces.
 */
export function pieceAt(
  pieces: RecordingPiece[],
  tMs: number,
  offsetMs: number,
): { piece: RecordingPiece; positionMs: number } | null {
  const at = locate(
    pieces.map((p) => ({ url: p.key, durationMs: p.durationMs })),
    Math.max(0, tMs + offsetMs),
  );
  if (!at) return null;
  const piece = pieces[at.index]!;
  return { piece, positionMs: Math.max(0, Math.min(at.offsetMs, piece.durationMs - piece.frameMs)) };
}

/**
 * The review chat's picture: the frame of a procedure's de-identified recording shown at `tMs` on
 * its axis (the video's position on the procedure page), scaled as the room's pictures are. The one
 * segment holding it is streamed from the object store to a temporary file (GStreamer cannot seek
 * in fragmented MP4 over HTTP) and removed once the frame is read; segment lengths are probed
 * through short-lived internal presigned URLs and remembered. A room's verified segments, or an upload's verified
 * masked copy; never an upload's raw file. No recording, or one that cannot be read in time, gives
 * undefined (logged), and the question is answered without a picture.
 */
export function reviewFrames(
  db: Queryable,
  store: ObjectStore,
  opts: { log?: Logger; stepTimeoutMs?: number; totalTimeoutMs?: number } = {},
): (procedureId: string, tMs: number) => Promise<Omit<CurrentFrame, 'tMs'> | undefined> {
  const timeoutMs = opts.stepTimeoutMs ?? FRAME_STEP_TIMEOUT_MS;
  const totalMs = opts.totalTimeoutMs ?? FRAME_TOTAL_TIMEOUT_MS;
  const lengths = new Map<string, { durationMs: number; frameMs: number }>();
  const url = (key: string) => store.presignGet(key, { internal: true, expiresIn: 300 });

  const lengthOf = async (key: string) => {
    const known = lengths.get(key);
    if (known) return known;
    const facts = await probeVideo(await url(key), timeoutMs).catch((err: Error) => {
      throw new Error(`cannot read ${key}: ${err.message}`);
    });
    const length = {
      durationMs: facts.durationMs,
      frameMs: facts.fps > 0 ? Math.ceil(1000 / facts.fps) : 40,
    };
    if (lengths.size >= KNOWN_LENGTHS) lengths.delete(lengths.keys().next().value!);
    lengths.set(key, length);
    return length;
  };

  /** The recording's pieces and where the axis's zero lies in it; undefined: none to show. */
  const recordingOf = async (procedureId: string) => {
    const video = await findVideo(db, procedureId);
    if (video?.source === 'upload') {
      // Only the verified de-identified copy; its summary's axis is the video's own. Its length is
      // the upload's, as probed (the copy, written as a stream, declares none).
      if (!video.masked_key || !video.masked_verified_at) return undefined;
      const durationMs = Number(video.duration_ms ?? 0);
      const frameMs = video.fps ? Math.ceil(1000 / video.fps) : 40;
      return { pieces: [{ key: video.masked_key, durationMs, frameMs }], offsetMs: 0 };
    }
    const segments = await availableSegments(db, procedureId);
    if (segments.length === 0) return undefined;
    // A long procedure's first question probes its segments, a few at once; later ones know them.
    const pieces: RecordingPiece[] = new Array(segments.length);
    let next = 0;
    const probeNext = async () => {
      for (let i = next++; i < segments.length; i = next++)
        pieces[i] = { key: segments[i]!.key, ...(await lengthOf(segments[i]!.key)) };
    };
    await Promise.all(Array.from({ length: Math.min(PROBES_AT_ONCE, segments.length) }, probeNext));
    const timeline = await loadTimeline(db, procedureId);
    // As the page aligns them: without room analyses the axis is the video's own.
    const offsetMs =
      timeline && timeline.quality.length > 0
        ? timelineOffsetMs(
            pieces.reduce((t, p) => t + p.durationMs, 0),
            timeline.durationMs,
            { videoStartedAt: segments[0]!.startedAt, timelineStartedAt: timeline.startedAt },
          )
        : 0;
    return { pieces, offsetMs };
  };

  /** The piece's picture at the position, from a temporary copy (streamed, removed after). */
  const frameIn = async (key: string, positionMs: number) => {
    const folder = await mkdtemp(join(tmpdir(), 'gic-review-frame-'));
    try {
      const path = join(folder, 'piece.mp4');
      await pipeline(await store.read(key), createWriteStream(path), {
        signal: AbortSignal.timeout(timeoutMs),
      });
      return await readFrameAt(path, positionMs, CHAT_IMAGE_SIZE, timeoutMs);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  };

  const frameAt = async (procedureId: string, tMs: number) => {
    const recording = await recordingOf(procedureId);
    const at = recording && pieceAt(recording.pieces, tMs, recording.offsetMs);
    return at && { positionMs: at.positionMs, frame: await frameIn(at.piece.key, at.positionMs) };
  };

  return async (procedureId, tMs) => {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      // What is still under way at the deadline ends by its own step limits (and fills the length
      // cache); its failure then is nobody's to report.
      const work = frameAt(procedureId, tMs);
      work.catch(() => {});
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no picture within ${totalMs} ms`)), totalMs);
      });
      const found = await Promise.race([work, deadline]);
      if (!found) return undefined;
      const { frame, positionMs } = found;
      opts.log?.debug(
        { procedureId, tMs, positionMs, ms: Math.round(performance.now() - started) },
        'review chat: picture at the video position',
      );
      return { image: { width: frame.width, height: frame.height, rgb: frame.data } };
    } catch (err) {
      opts.log?.warn(
        { procedureId, tMs, err: (err as Error).message },
        'review chat: no picture at the video position; answering without one',
      );
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };
}

import type { Database } from '../db/database.js';
import type { ObjectStore } from '../storage/object-store.js';
import { probeVideo, type VideoFacts } from '../videos/video-probe.js';
import { availableSegments, findVideo, upsertRoomVideo } from '../videos/videos-repo.js';

/** The objects a procedure's video is read from, in order, and whether it still needs de-identifying. */
export interface VideoSource {
  kind: 'upload' | 'room';
  /** Object keys, played one after another (a room's recording segments). */
  keys: string[];
  /** Each key's duration (ms), from GStreamer. */
  durationsMs: number[];
  facts: VideoFacts;
  /** The raw upload: the masked copy must be made from it before anything is viewable. */
  raw: boolean;
}

/**
 * What batch processing reads: an upload's raw file until it is de-identified, then its masked copy;
 * a room's verified recording segments (masked on the edge already). Probes what it has not yet.
 */
export async function videoSource(
  db: Database,
  store: ObjectStore,
  procedureId: string,
): Promise<VideoSource> {
  const video = await findVideo(db, procedureId);
  if (video?.source === 'upload') {
    const raw = video.raw_key !== null && video.raw_deleted_at === null && video.masked_verified_at === null;
    const key = raw ? video.raw_key : video.masked_key;
    if (!key) throw new Error('the upload has neither its raw file nor a masked copy');
    const facts = {
      durationMs: Number(video.duration_ms),
      width: video.width!,
      height: video.height!,
      fps: video.fps ?? 0,
    };
    return { kind: 'upload', keys: [key], durationsMs: [facts.durationMs], facts, raw };
  }
  const segments = await availableSegments(db, procedureId);
  if (segments.length === 0) throw new Error('the procedure has no verified recording to process');
  const probed: VideoFacts[] = [];
  for (const s of segments) {
    probed.push(await probeVideo(await store.presignGet(s.key, { internal: true, expiresIn: 600 })));
  }
  const facts: VideoFacts = {
    durationMs: probed.reduce((t, p) => t + p.durationMs, 0),
    width: probed[0]!.width,
    height: probed[0]!.height,
    fps: probed[0]!.fps,
  };
  await upsertRoomVideo(db, procedureId, { ...facts, bytes: segments.reduce((t, s) => t + s.bytes, 0) });
  return {
    kind: 'room',
    keys: segments.map((s) => s.key),
    durationsMs: probed.map((p) => p.durationMs),
    facts,
    raw: false,
  };
}

/** Frames for analysis keep the source's aspect, at most `maxWidth` wide, in even pixels. */
export function analysisSize(facts: Pick<VideoFacts, 'width' | 'height'>, maxWidth: number) {
  const width = Math.min(facts.width, maxWidth) & ~1;
  const height = Math.max(2, Math.round((width * facts.height) / facts.width) & ~1);
  return { width, height };
}

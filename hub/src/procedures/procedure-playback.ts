import type { Queryable } from '../db/database.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { Playback, RecordingSegment } from './procedure-view-types.js';

/** How long a playback URL stays valid (s): long enough to watch a segment, short enough not to be shared. */
export const PLAYBACK_URL_SECONDS = 900;

/**
 * The procedure's recording as the browser plays it: each verified segment, in order, as a presigned
 * URL on the object store (which answers range requests, so the player seeks without the hub in the
 * way), and each segment it cannot play with the reason. Segment lengths are not known at the hub
 * (the seal carries none), so the player reads them from the files.
 */
export async function playbackOf(
  db: Queryable,
  store: ObjectStore,
  segments: RecordingSegment[],
): Promise<Playback> {
  const ids = segments.filter((s) => s.status === 'available' && s.recordingId).map((s) => s.recordingId!);
  const { rows } = await db.query<{ id: string; object_key: string; size_bytes: string }>(
    'SELECT id, object_key, size_bytes FROM recordings WHERE id = ANY($1::uuid[])',
    [ids],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const out: Playback = { segments: [], missing: [], expiresInSeconds: PLAYBACK_URL_SECONDS };
  for (const s of segments) {
    const recording = s.recordingId ? byId.get(s.recordingId) : undefined;
    if (s.status === 'available' && recording) {
      out.segments.push({
        segmentIndex: s.segmentIndex,
        startMs: null,
        durationMs: null,
        startedAt: s.startedAt,
        url: await store.presignGet(recording.object_key, { expiresIn: PLAYBACK_URL_SECONDS }),
        sizeBytes: Number(recording.size_bytes),
      });
    } else {
      const reason =
        s.sealed === 'failed'
          ? `the recorder failed: ${s.error ?? 'no reason given'}`
          : s.status === null
            ? 'not uploaded yet'
            : `recording ${s.status}`;
      out.missing.push({ segmentIndex: s.segmentIndex, reason });
    }
  }
  return out;
}

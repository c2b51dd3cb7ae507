import type { Queryable } from '../db/database.js';
import { findVideo, UPLOAD_DEVICE_ID } from './videos-repo.js';

/** `GET /api/v1/videos/{id}`: the id is the procedure's. */
export interface VideoView {
  id: string;
  procedureId: string;
  source: 'upload' | 'room';
  durationMs: number | null;
  width: number | null;
  height: number | null;
  bytes: number | null;
  sha256: string | null;
  createdAt: string;
  createdBy: string | null;
}

const num = (v: string | number | null | undefined) => (v === null || v === undefined ? null : Number(v));

/**
 * A procedure as a video: an upload as probed when it arrived; a room's procedure from its verified
 * recording segments (size), its times (duration) and, once processed, what GStreamer found.
 */
export async function videoView(db: Queryable, procedureId: string): Promise<VideoView | undefined> {
  const { rows } = await db.query<{
    id: string;
    device_id: string;
    created_at: Date;
    started_at: Date | null;
    ended_at: Date | null;
    uploaded_by: string | null;
    recorded_bytes: string | null;
  }>(
    `SELECT p.id, p.device_id, p.created_at, p.started_at, p.ended_at, p.uploaded_by,
            (SELECT sum(size_bytes) FROM recordings r WHERE r.procedure_id = p.id AND r.status = 'available')
              AS recorded_bytes
       FROM procedures p WHERE p.id = $1`,
    [procedureId],
  );
  const p = rows[0];
  if (!p) return undefined;
  const v = await findVideo(db, procedureId);
  const upload = p.device_id === UPLOAD_DEVICE_ID;
  const timed = p.started_at && p.ended_at ? p.ended_at.getTime() - p.started_at.getTime() : null;
  return {
    id: p.id,
    procedureId: p.id,
    source: upload ? 'upload' : 'room',
    durationMs: num(v?.duration_ms) ?? timed,
    width: v?.width ?? null,
    height: v?.height ?? null,
    bytes: upload ? num(v?.bytes) : (num(p.recorded_bytes) ?? num(v?.bytes)),
    sha256: upload ? (v?.sha256 ?? null) : null,
    createdAt: (v?.created_at ?? p.created_at).toISOString(),
    createdBy: upload ? p.uploaded_by : null,
  };
}

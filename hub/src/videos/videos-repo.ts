import type { Queryable } from '../db/database.js';
import type { VideoFacts } from './video-probe.js';

/** The device every uploaded video's procedure belongs to (migration 008). */
export const UPLOAD_DEVICE_ID = 'upload';

export interface VideoRow {
  procedure_id: string;
  source: 'upload' | 'room';
  raw_key: string | null;
  raw_deleted_at: Date | null;
  masked_key: string | null;
  masked_sha256: string | null;
  masked_bytes: string | null;
  masked_verified_at: Date | null;
  duration_ms: string | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  bytes: string | null;
  sha256: string | null;
  created_by: string | null;
  created_at: Date;
}

/** An uploaded video becomes a procedure of the upload device, ended, with who uploaded it. */
export async function insertUploadedVideo(
  db: Queryable,
  v: {
    procedureId: string;
    rawKey: string;
    facts: VideoFacts;
    bytes: number;
    sha256: string;
    createdBy: string;
    /** The site it belongs to (auth/site-scope.ts); absent: none. */
    site?: string | null;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO procedures (id, device_id, started_at, ended_at, end_reason, uploaded_by, start_trigger, site)
     VALUES ($1, $2, now(), now() + make_interval(secs => $3::double precision / 1000), 'uploaded', $4, 'upload', $5)`,
    [v.procedureId, UPLOAD_DEVICE_ID, v.facts.durationMs, v.createdBy, v.site ?? null],
  );
  await db.query(
    `INSERT INTO videos (procedure_id, source, raw_key, duration_ms, width, height, fps, bytes, sha256, created_by)
     VALUES ($1, 'upload', $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      v.procedureId,
      v.rawKey,
      v.facts.durationMs,
      v.facts.width,
      v.facts.height,
      v.facts.fps,
      v.bytes,
      v.sha256,
      v.createdBy,
    ],
  );
}

export async function findVideo(db: Queryable, procedureId: string): Promise<VideoRow | undefined> {
  const { rows } = await db.query<VideoRow>('SELECT * FROM videos WHERE procedure_id = $1', [procedureId]);
  return rows[0];
}

/** A room's procedure, first processed: its video row, with what the recordings hold. */
export async function upsertRoomVideo(
  db: Queryable,
  procedureId: string,
  facts: Partial<VideoFacts> & { bytes: number },
): Promise<void> {
  await db.query(
    `INSERT INTO videos (procedure_id, source, duration_ms, width, height, fps, bytes)
     VALUES ($1, 'room', $2, $3, $4, $5, $6)
     ON CONFLICT (procedure_id) DO UPDATE SET duration_ms = EXCLUDED.duration_ms, width = EXCLUDED.width,
       height = EXCLUDED.height, fps = EXCLUDED.fps, bytes = EXCLUDED.bytes
     WHERE videos.source = 'room'`,
    [
      procedureId,
      facts.durationMs ?? null,
      facts.width ?? null,
      facts.height ?? null,
      facts.fps ?? null,
      facts.bytes,
    ],
  );
}

/** The de-identified copy, verified: recorded as the procedure's one recording segment, so every page plays it. */
export async function recordMaskedCopy(
  db: Queryable,
  v: { procedureId: string; recordingId: string; key: string; bytes: number; sha256: string; crc32: number },
): Promise<void> {
  await db.query(
    `UPDATE videos SET masked_key = $2, masked_bytes = $3, masked_sha256 = $4, masked_verified_at = now()
      WHERE procedure_id = $1`,
    [v.procedureId, v.key, v.bytes, v.sha256],
  );
  await db.query('DELETE FROM recording_seals WHERE procedure_id = $1 AND device_id = $2', [
    v.procedureId,
    UPLOAD_DEVICE_ID,
  ]);
  await db.query(
    `INSERT INTO recordings (id, procedure_id, device_id, object_key, size_bytes, part_size, sha256_claimed,
                             sha256_verified, crc32_verified, status)
     VALUES ($1, $2, $3, $4, $5, 0, $6, $6, $7, 'available')
     ON CONFLICT (object_key) DO NOTHING`,
    [v.recordingId, v.procedureId, UPLOAD_DEVICE_ID, v.key, v.bytes, v.sha256, v.crc32],
  );
  await db.query(
    `INSERT INTO recording_seals (device_id, recording_id, procedure_id, segment_index, status, final, size_bytes,
                                  sha256, last_seq)
     VALUES ($1, $2, $3, 0, 'ready', true, $4, $5, 0)`,
    [UPLOAD_DEVICE_ID, v.recordingId, v.procedureId, v.bytes, v.sha256],
  );
}

export async function markRawDeleted(db: Queryable, procedureId: string): Promise<void> {
  await db.query('UPDATE videos SET raw_deleted_at = now() WHERE procedure_id = $1', [procedureId]);
}

/**
 * A stored recording (a room's segment, an upload's masked copy) whose size, SHA-256 and CRC-32 were
 * measured on a read of the stored object; undefined when it is not available or was verified
 * before CRC-32s were taken.
 */
export async function verifiedObject(
  db: Queryable,
  key: string,
): Promise<{ bytes: number; sha256: string; crc32: number } | undefined> {
  const { rows } = await db.query<{ size_bytes: string; sha256_verified: string; crc32_verified: string }>(
    `SELECT size_bytes, sha256_verified, crc32_verified FROM recordings
      WHERE object_key = $1 AND status = 'available' AND sha256_verified IS NOT NULL AND crc32_verified IS NOT NULL`,
    [key],
  );
  const r = rows[0];
  return r
    ? { bytes: Number(r.size_bytes), sha256: r.sha256_verified, crc32: Number(r.crc32_verified) }
    : undefined;
}

/** A room's verified recording segments in order: what batch processing reads. */
export async function availableSegments(
  db: Queryable,
  procedureId: string,
): Promise<{ key: string; bytes: number; startedAt: string | null }[]> {
  const { rows } = await db.query<{ object_key: string; size_bytes: string; started_at: Date | null }>(
    `SELECT r.object_key, r.size_bytes, s.started_at FROM recording_seals s
       JOIN LATERAL (SELECT object_key, size_bytes FROM recordings
                      WHERE procedure_id = s.procedure_id AND sha256_claimed = s.sha256 AND status = 'available'
                      ORDER BY created_at DESC LIMIT 1) r ON true
      WHERE s.procedure_id = $1 AND s.status = 'ready'
      ORDER BY s.segment_index`,
    [procedureId],
  );
  return rows.map((r) => ({
    key: r.object_key,
    bytes: Number(r.size_bytes),
    startedAt: r.started_at?.toISOString() ?? null,
  }));
}

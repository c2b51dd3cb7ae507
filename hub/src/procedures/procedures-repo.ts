import type { Queryable } from '../db/database.js';

export type SyncState =
  | 'live'
  | 'syncing-analyses'
  | 'awaiting-recording'
  | 'uploading'
  | 'verifying'
  | 'available'
  | 'corrupt'
  | 'aborted'
  | 'no-recording';

export interface ProcedureSummary {
  id: string;
  deviceId: string;
  deviceName: string;
  startedAt: string | null;
  endedAt: string | null;
  durationSeconds: number | null;
  /** From reaching the cecum to the end (or now), when the cecum was marked. */
  withdrawalSeconds: number | null;
  analysedFrames: number;
  findings: number;
  privacyRegions: number;
  recording: { id: string; status: string; sizeBytes: number; sha256: string | null } | null;
  syncState: SyncState;
}

interface Row {
  id: string;
  device_id: string;
  device_name: string;
  started_at: Date | null;
  ended_at: Date | null;
  device_frame_count: number | null;
  recording_sealed: string | null;
  cecum_reached_at: Date | null;
  analysed_frames: string;
  findings: string;
  privacy_regions: string;
  recording_id: string | null;
  recording_status: string | null;
  recording_size: string | null;
  recording_sha256: string | null;
}

/** The sync state shown to users, derived from what has arrived (never stored, so never stale). */
export function deriveSyncState(row: {
  ended_at: Date | null;
  device_frame_count: number | null;
  analysed_frames: number;
  recording_status: string | null;
  recording_sealed: string | null;
}): SyncState {
  if (!row.ended_at) return 'live';
  if (row.device_frame_count !== null && row.analysed_frames < row.device_frame_count)
    return 'syncing-analyses';
  if (!row.recording_status) return row.recording_sealed === 'failed' ? 'no-recording' : 'awaiting-recording';
  return row.recording_status as SyncState;
}

/** Procedures, newest first, with their counts and recording state. */
export async function listProcedures(
  db: Queryable,
  limit: number,
  offset: number,
): Promise<ProcedureSummary[]> {
  const { rows } = await db.query<Row>(
    `SELECT p.id, p.device_id, d.name AS device_name, p.started_at, p.ended_at, p.device_frame_count,
            p.recording_sealed, p.cecum_reached_at, coalesce(f.frames, 0) AS analysed_frames,
            (SELECT count(*) FROM alerts a WHERE a.procedure_id = p.id) AS findings,
            coalesce(f.privacy, 0) AS privacy_regions,
            r.id AS recording_id, r.status AS recording_status, r.size_bytes AS recording_size,
            r.sha256_verified AS recording_sha256
       FROM procedures p
       JOIN devices d ON d.id = p.device_id
       LEFT JOIN LATERAL (
         SELECT count(*) AS frames, sum(privacy_region_count) AS privacy
           FROM frame_analyses WHERE procedure_id = p.id) f ON true
       LEFT JOIN LATERAL (
         SELECT id, status, size_bytes, sha256_verified FROM recordings
          WHERE procedure_id = p.id ORDER BY created_at DESC LIMIT 1) r ON true
      ORDER BY coalesce(p.started_at, p.created_at) DESC
      LIMIT $1 OFFSET $2`,
    [limit, offset],
  );
  return rows.map((row) => {
    const analysedFrames = Number(row.analysed_frames);
    const start = row.started_at?.getTime();
    const end = (row.ended_at ?? new Date()).getTime();
    return {
      id: row.id,
      deviceId: row.device_id,
      deviceName: row.device_name,
      startedAt: row.started_at?.toISOString() ?? null,
      endedAt: row.ended_at?.toISOString() ?? null,
      durationSeconds: start === undefined ? null : Math.max(0, Math.round((end - start) / 100) / 10),
      withdrawalSeconds: row.cecum_reached_at
        ? Math.max(0, Math.round((end - row.cecum_reached_at.getTime()) / 100) / 10)
        : null,
      analysedFrames,
      findings: Number(row.findings),
      privacyRegions: Number(row.privacy_regions),
      recording: row.recording_id
        ? {
            id: row.recording_id,
            status: row.recording_status!,
            sizeBytes: Number(row.recording_size),
            sha256: row.recording_sha256,
          }
        : null,
      syncState: deriveSyncState({ ...row, analysed_frames: analysedFrames }),
    };
  });
}

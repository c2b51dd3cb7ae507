import { PROCEDURE_SITE } from '../auth/site-scope.js';
import type { Queryable } from '../db/database.js';

import type { ProcedureSummary, RecordingSegment, SyncState } from './procedure-view-types.js';

export type { ProcedureSummary, RecordingSegment, SyncState };

export interface ProcedureRow {
  id: string;
  device_id: string;
  device_name: string;
  site: string | null;
  room: string | null;
  started_at: Date | null;
  ended_at: Date | null;
  end_reason: string | null;
  start_trigger: string | null;
  operator: string | null;
  ended_by: string | null;
  device_frame_count: number | null;
  cecum_reached_at: Date | null;
  masked_in_picture: number | null;
  analysed_frames: string;
  findings: string;
  privacy_regions: string;
}

interface SegmentRow {
  procedure_id: string;
  segment_index: number;
  seal_status: 'ready' | 'failed';
  final: boolean;
  size_bytes: string | null;
  error: string | null;
  started_at: Date | null;
  recording_id: string | null;
  recording_status: string | null;
  sha256_verified: string | null;
}

/** Worst first: the state a recording shows is that of its least advanced segment. */
const SEGMENT_STATES: SyncState[] = ['corrupt', 'aborted', 'awaiting-recording', 'uploading', 'verifying'];

/**
 * The sync state shown to users, derived from what has arrived (never stored, so never stale): the
 * analyses first, then every segment the edge sealed until the final one, each verified here.
 */
export function deriveSyncState(
  procedure: { ended_at: Date | null; device_frame_count: number | null; analysed_frames: number },
  segments: Pick<RecordingSegment, 'sealed' | 'final' | 'status'>[],
): SyncState {
  if (!procedure.ended_at) return 'live';
  if (procedure.device_frame_count !== null && procedure.analysed_frames < procedure.device_frame_count)
    return 'syncing-analyses';
  if (!segments.some((s) => s.final)) return 'awaiting-recording';
  const ready = segments.filter((s) => s.sealed === 'ready');
  if (ready.length === 0) return 'no-recording';
  const states = new Set(ready.map((s) => (s.status ?? 'awaiting-recording') as SyncState));
  return SEGMENT_STATES.find((s) => states.has(s)) ?? 'available';
}

/** Each procedure's segments, with the hub's recording of each (matched by the SHA-256 the edge sealed). */
async function segmentsOf(db: Queryable, procedureIds: string[]): Promise<Map<string, RecordingSegment[]>> {
  const { rows } = await db.query<SegmentRow>(
    `SELECT s.procedure_id, s.segment_index, s.status AS seal_status, s.final, s.size_bytes, s.error, s.started_at,
            r.id AS recording_id, r.status AS recording_status, r.sha256_verified
       FROM recording_seals s
       LEFT JOIN LATERAL (
         SELECT id, status, sha256_verified FROM recordings
          WHERE procedure_id = s.procedure_id AND sha256_claimed = s.sha256
          ORDER BY (status = 'available') DESC, created_at DESC LIMIT 1) r ON true
      WHERE s.procedure_id = ANY($1::uuid[])
      ORDER BY s.procedure_id, s.segment_index`,
    [procedureIds],
  );
  const byProcedure = new Map<string, RecordingSegment[]>();
  for (const r of rows) {
    const list = byProcedure.get(r.procedure_id) ?? [];
    list.push({
      segmentIndex: r.segment_index,
      sealed: r.seal_status,
      final: r.final,
      sizeBytes: r.size_bytes === null ? null : Number(r.size_bytes),
      recordingId: r.recording_id,
      status: r.recording_status,
      sha256: r.sha256_verified,
      error: r.error,
      startedAt: r.started_at?.toISOString() ?? null,
    });
    byProcedure.set(r.procedure_id, list);
  }
  return byProcedure;
}

/** The columns every procedure listing selects (`p` procedures, `d` devices, `f` frame counts). */
export const PROCEDURE_COLUMNS = `p.id, p.device_id, d.name AS device_name, ${PROCEDURE_SITE} AS site, d.room,
            p.started_at, p.ended_at, p.end_reason,
            p.start_trigger, p.operator, p.ended_by, p.device_frame_count, p.cecum_reached_at, p.masked_in_picture,
            coalesce(f.frames, 0) AS analysed_frames,
            (SELECT count(*) FROM alerts a WHERE a.procedure_id = p.id) AS findings,
            coalesce(f.privacy, 0) AS privacy_regions`;

/** The tables PROCEDURE_COLUMNS reads from. */
export const PROCEDURE_FROM = `procedures p
       JOIN devices d ON d.id = p.device_id
       LEFT JOIN LATERAL (
         SELECT count(*) AS frames, sum(privacy_region_count) AS privacy
           FROM frame_analyses WHERE procedure_id = p.id) f ON true`;

/** Procedures, newest first, with their counts and recording state. */
export async function listProcedures(
  db: Queryable,
  limit: number,
  offset: number,
): Promise<ProcedureSummary[]> {
  const { rows } = await db.query<ProcedureRow>(
    `SELECT ${PROCEDURE_COLUMNS}
       FROM ${PROCEDURE_FROM}
      ORDER BY coalesce(p.started_at, p.created_at) DESC
      LIMIT $1 OFFSET $2`,
    [limit, offset],
  );
  return summarise(db, rows);
}

/** One procedure by id, or undefined. */
export async function getProcedure(db: Queryable, id: string): Promise<ProcedureSummary | undefined> {
  const { rows } = await db.query<ProcedureRow>(
    `SELECT ${PROCEDURE_COLUMNS} FROM ${PROCEDURE_FROM} WHERE p.id = $1`,
    [id],
  );
  return (await summarise(db, rows))[0];
}

/** Rows selected with PROCEDURE_COLUMNS, with their segments and derived sync state. */
export async function summarise(db: Queryable, rows: ProcedureRow[]): Promise<ProcedureSummary[]> {
  const segments = await segmentsOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((row) => {
    const analysedFrames = Number(row.analysed_frames);
    const start = row.started_at?.getTime();
    const end = (row.ended_at ?? new Date()).getTime();
    const own = segments.get(row.id) ?? [];
    const ready = own.filter((s) => s.sealed === 'ready');
    return {
      id: row.id,
      deviceId: row.device_id,
      deviceName: row.device_name,
      site: row.site,
      room: row.room,
      startedAt: row.started_at?.toISOString() ?? null,
      endedAt: row.ended_at?.toISOString() ?? null,
      endReason: row.end_reason,
      startTrigger: row.start_trigger,
      operator: row.operator,
      endedBy: row.ended_by,
      durationSeconds: start === undefined ? null : Math.max(0, Math.round((end - start) / 100) / 10),
      withdrawalSeconds: row.cecum_reached_at
        ? Math.max(0, Math.round((end - row.cecum_reached_at.getTime()) / 100) / 10)
        : null,
      analysedFrames,
      findings: Number(row.findings),
      privacyRegions: Number(row.privacy_regions),
      maskedInPicture: row.masked_in_picture,
      recording:
        ready.length > 0
          ? {
              segments: ready.length,
              available: ready.filter((s) => s.status === 'available').length,
              sizeBytes: ready.reduce((sum, s) => sum + (s.sizeBytes ?? 0), 0),
              complete: own.some((s) => s.final),
            }
          : null,
      segments: own,
      syncState: deriveSyncState({ ...row, analysed_frames: analysedFrames }, own),
    };
  });
}

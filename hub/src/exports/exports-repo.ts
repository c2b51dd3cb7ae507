import type { Queryable } from '../db/database.js';

/** What an export is for (migration 018): trainees download teaching exports only. */
export const EXPORT_PURPOSES = ['clinical', 'teaching'] as const;
export type ExportPurpose = (typeof EXPORT_PURPOSES)[number];

export interface ExportRow {
  id: string;
  procedure_id: string;
  state: 'waiting' | 'active' | 'ready' | 'failed';
  object_key: string | null;
  bytes: string | null;
  sha256: string | null;
  error: string | null;
  requested_by: string | null;
  purpose: ExportPurpose;
  created_at: Date;
  finished_at: Date | null;
  deleted_at: Date | null;
}

export async function insertExport(
  db: Queryable,
  id: string,
  procedureId: string,
  by: string,
  purpose: ExportPurpose = 'clinical',
): Promise<void> {
  await db.query(
    `INSERT INTO video_exports (id, procedure_id, state, requested_by, purpose) VALUES ($1, $2, 'waiting', $3, $4)`,
    [id, procedureId, by, purpose],
  );
}

export async function findExport(db: Queryable, id: string): Promise<ExportRow | undefined> {
  const { rows } = await db.query<ExportRow>('SELECT * FROM video_exports WHERE id = $1', [id]);
  return rows[0];
}

/** The procedure's newest export (of that purpose, when one is named). */
export async function latestExport(
  db: Queryable,
  procedureId: string,
  purpose?: ExportPurpose,
): Promise<ExportRow | undefined> {
  const { rows } = await db.query<ExportRow>(
    `SELECT * FROM video_exports WHERE procedure_id = $1 AND deleted_at IS NULL AND ($2::text IS NULL OR purpose = $2)
      ORDER BY created_at DESC LIMIT 1`,
    [procedureId, purpose ?? null],
  );
  return rows[0];
}

export async function setExportState(
  db: Queryable,
  id: string,
  state: ExportRow['state'],
  extra: { key?: string; bytes?: number; sha256?: string; error?: string } = {},
): Promise<void> {
  await db.query(
    `UPDATE video_exports SET state = $2, object_key = coalesce($3, object_key), bytes = coalesce($4, bytes),
            sha256 = coalesce($5, sha256), error = $6,
            finished_at = CASE WHEN $2 IN ('ready', 'failed') THEN now() END
      WHERE id = $1`,
    [id, state, extra.key ?? null, extra.bytes ?? null, extra.sha256 ?? null, extra.error ?? null],
  );
}

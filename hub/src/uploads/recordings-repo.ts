import type { Queryable } from '../db/database.js';

export interface RecordingRow {
  id: string;
  procedure_id: string;
  device_id: string;
  object_key: string;
  upload_id: string | null;
  size_bytes: string;
  part_size: number;
  sha256_claimed: string;
  sha256_verified: string | null;
  status: 'uploading' | 'verifying' | 'available' | 'corrupt' | 'aborted';
  error: string | null;
}

const COLUMNS =
  'id, procedure_id, device_id, object_key, upload_id, size_bytes, part_size, sha256_claimed, sha256_verified, status, error';

export async function insertRecording(
  db: Queryable,
  r: {
    id: string;
    procedureId: string;
    deviceId: string;
    key: string;
    uploadId: string;
    size: number;
    partSize: number;
    sha256: string;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO recordings (id, procedure_id, device_id, object_key, upload_id, size_bytes, part_size, sha256_claimed, status)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'uploading')`,
    [r.id, r.procedureId, r.deviceId, r.key, r.uploadId, r.size, r.partSize, r.sha256],
  );
}

export async function findRecording(db: Queryable, id: string): Promise<RecordingRow | undefined> {
  const { rows } = await db.query<RecordingRow>(`SELECT ${COLUMNS} FROM recordings WHERE id = $1`, [id]);
  return rows[0];
}

/** A recording of the same procedure and content still open, so a restarted device resumes it. */
export async function findOpenRecording(db: Queryable, procedureId: string, sha256: string) {
  const { rows } = await db.query<RecordingRow>(
    `SELECT ${COLUMNS} FROM recordings
      WHERE procedure_id = $1 AND sha256_claimed = $2 AND status IN ('uploading', 'verifying', 'available')
      ORDER BY created_at DESC LIMIT 1`,
    [procedureId, sha256],
  );
  return rows[0];
}

/** Moves a recording from one status to another; false if it was not in `from`. */
export async function transitionRecording(
  db: Queryable,
  id: string,
  from: RecordingRow['status'][],
  to: RecordingRow['status'],
  fields: { sha256Verified?: string; crc32Verified?: number; error?: string } = {},
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE recordings SET status = $3, sha256_verified = coalesce($4, sha256_verified),
            crc32_verified = coalesce($6, crc32_verified), error = $5, updated_at = now()
      WHERE id = $1 AND status = ANY($2::text[])`,
    [id, from, to, fields.sha256Verified ?? null, fields.error ?? null, fields.crc32Verified ?? null],
  );
  return rowCount === 1;
}

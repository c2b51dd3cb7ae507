import type { Queryable } from '../db/database.js';

export interface UploadPart {
  partNumber: number;
  etag: string;
  sha256: string;
}

export interface VideoUploadRow {
  id: string;
  created_by: string;
  object_key: string;
  s3_upload_id: string;
  bytes_total: string;
  bytes_received: string;
  part_size: number;
  parts: UploadPart[];
  status: 'receiving' | 'probing' | 'done' | 'refused' | 'aborted';
  error: string | null;
  procedure_id: string | null;
  /** The site the video will belong to (null: none, seen by admins and auditors only). */
  site: string | null;
  created_at: Date;
}

export async function insertVideoUpload(
  db: Queryable,
  u: {
    id: string;
    createdBy: string;
    key: string;
    s3UploadId: string;
    bytesTotal: number;
    partSize: number;
    site?: string | null;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO video_uploads (id, created_by, object_key, s3_upload_id, bytes_total, part_size, status, site)
     VALUES ($1, $2, $3, $4, $5, $6, 'receiving', $7)`,
    [u.id, u.createdBy, u.key, u.s3UploadId, u.bytesTotal, u.partSize, u.site ?? null],
  );
}

export async function findVideoUpload(db: Queryable, id: string): Promise<VideoUploadRow | undefined> {
  const { rows } = await db.query<VideoUploadRow>('SELECT * FROM video_uploads WHERE id = $1', [id]);
  return rows[0];
}

/** Records one stored part, only if the upload is still at `offset` (two writers cannot both append). */
export async function appendUploadPart(
  db: Queryable,
  id: string,
  offset: number,
  part: UploadPart,
  bytes: number,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE video_uploads SET parts = parts || $3::jsonb, bytes_received = bytes_received + $4, updated_at = now()
      WHERE id = $1 AND bytes_received = $2 AND status = 'receiving'`,
    [id, offset, JSON.stringify([part]), bytes],
  );
  return rowCount === 1;
}

export async function setUploadStatus(
  db: Queryable,
  id: string,
  from: VideoUploadRow['status'][],
  to: VideoUploadRow['status'],
  extra: { error?: string; procedureId?: string } = {},
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE video_uploads SET status = $3, error = coalesce($4, error), procedure_id = coalesce($5, procedure_id),
            updated_at = now()
      WHERE id = $1 AND status = ANY($2::text[])`,
    [id, from, to, extra.error ?? null, extra.procedureId ?? null],
  );
  return rowCount === 1;
}

/** Uploads left receiving with no progress since `before`: given up by their clients. */
export async function staleVideoUploads(db: Queryable, before: Date): Promise<VideoUploadRow[]> {
  const { rows } = await db.query<VideoUploadRow>(
    `SELECT * FROM video_uploads WHERE status = 'receiving' AND updated_at < $1`,
    [before],
  );
  return rows;
}

import type { Queryable } from '../db/database.js';

/** A model the hub holds: its manifest, and which of its files are stored. */
export interface ModelView {
  id: string;
  version: string;
  task: string;
  manifest: { files: { name: string; sha256: string }[] } & Record<string, unknown>;
  storedFiles: string[];
  ready: boolean;
  uploadedBy: string;
  createdAt: string;
}

const VIEW = `id, version, task, manifest, stored_files AS "storedFiles", ready, uploaded_by AS "uploadedBy",
  created_at AS "createdAt"`;
type Row = Omit<ModelView, 'createdAt'> & { createdAt: Date };
const view = (r: Row): ModelView => ({ ...r, createdAt: r.createdAt.toISOString() });

/** The object-store key of one file of a model version. */
export const modelFileKey = (id: string, version: string, name: string) => `models/${id}/${version}/${name}`;

/** Records a model version from its manifest; false when that version exists already. */
export async function insertModel(
  db: Queryable,
  m: { id: string; version: string; task: string; manifest: Record<string, unknown>; uploadedBy: string },
): Promise<ModelView | undefined> {
  const { rows } = await db.query<Row>(
    `INSERT INTO models (id, version, task, manifest, uploaded_by) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT DO NOTHING RETURNING ${VIEW}`,
    [m.id, m.version, m.task, JSON.stringify(m.manifest), m.uploadedBy],
  );
  return rows[0] && view(rows[0]);
}

export async function findModel(db: Queryable, id: string, version: string): Promise<ModelView | undefined> {
  const { rows } = await db.query<Row>(`SELECT ${VIEW} FROM models WHERE id = $1 AND version = $2`, [
    id,
    version,
  ]);
  return rows[0] && view(rows[0]);
}

/** Every model version, newest first. */
export async function listModels(db: Queryable): Promise<ModelView[]> {
  const { rows } = await db.query<Row>(`SELECT ${VIEW} FROM models ORDER BY created_at DESC, id, version`);
  return rows.map(view);
}

/** Marks one file stored; the version is ready once every file of its manifest is. */
export async function markFileStored(
  db: Queryable,
  id: string,
  version: string,
  name: string,
): Promise<ModelView | undefined> {
  const { rows } = await db.query<Row>(
    `UPDATE models
        SET stored_files = array(SELECT DISTINCT unnest(stored_files || ARRAY[$3::text]) ORDER BY 1),
            ready = (SELECT bool_and(f->>'name' = ANY (stored_files || ARRAY[$3::text]))
                       FROM jsonb_array_elements(manifest->'files') f)
      WHERE id = $1 AND version = $2 RETURNING ${VIEW}`,
    [id, version, name],
  );
  return rows[0] && view(rows[0]);
}

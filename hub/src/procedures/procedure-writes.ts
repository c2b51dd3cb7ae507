import type { Queryable } from '../db/database.js';

/**
 * Makes sure a procedure row exists for this device (events may arrive in any order) and that the
 * procedure belongs to the device. Throws when another device owns that id.
 */
export async function ensureProcedure(db: Queryable, procedureId: string, deviceId: string): Promise<void> {
  await db.query('INSERT INTO procedures (id, device_id) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [
    procedureId,
    deviceId,
  ]);
  const { rows } = await db.query<{ device_id: string }>('SELECT device_id FROM procedures WHERE id = $1', [
    procedureId,
  ]);
  if (rows[0]?.device_id !== deviceId) throw new Error(`procedure ${procedureId} belongs to another device`);
}

export async function markProcedureStarted(
  db: Queryable,
  id: string,
  startedAt: string,
  sourceLabel: string,
) {
  await db.query('UPDATE procedures SET started_at = $2, source_label = $3 WHERE id = $1', [
    id,
    startedAt,
    sourceLabel,
  ]);
}

export async function markProcedureEnded(
  db: Queryable,
  id: string,
  endedAt: string,
  reason: string,
  frames: number,
) {
  await db.query(
    'UPDATE procedures SET ended_at = $2, end_reason = $3, device_frame_count = $4 WHERE id = $1',
    [id, endedAt, reason, frames],
  );
}

import type { DeviceEvent } from '@gic/shared/messages/events.js';
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

type StartedBody = Extract<DeviceEvent, { type: 'procedure.started' }>['body'];
type EndedBody = Extract<DeviceEvent, { type: 'procedure.ended' }>['body'];

export async function markProcedureStarted(db: Queryable, id: string, body: StartedBody) {
  await db.query(
    'UPDATE procedures SET started_at = $2, source_label = $3, start_trigger = $4, operator = $5 WHERE id = $1',
    [id, body.startedAt, body.source.label, body.trigger ?? null, body.operator ?? null],
  );
}

export async function markProcedureEnded(db: Queryable, id: string, body: EndedBody) {
  await db.query(
    `UPDATE procedures SET ended_at = $2, end_reason = $3, device_frame_count = $4, ended_by = $5,
       masked_in_picture = $6 WHERE id = $1`,
    [id, body.endedAt, body.reason, body.analysedFrames, body.endedBy ?? null, body.maskedInPicture ?? null],
  );
}

import type { CommandKind, CommandResult } from '@gic/shared/messages/commands.js';
import type { Queryable } from '../db/database.js';

/** A command as the hub lists it: `expired` once an unanswered command has passed its expiry. */
export interface CommandView {
  id: string;
  deviceId: string;
  kind: CommandKind;
  issuedBy: string;
  issuedAt: string;
  expiresAt: string;
  safeDuringProcedure: boolean;
  status: 'issued' | CommandResult['status'];
  reason: string | null;
  detail: Record<string, unknown> | null;
  /** What the command carries beyond its kind (an install's model, URLs and hashes). */
  payload: Record<string, unknown> | null;
  updatedAt: string;
}

const VIEW = `id, device_id AS "deviceId", kind, issued_by AS "issuedBy", issued_at AS "issuedAt",
  expires_at AS "expiresAt", safe_during_procedure AS "safeDuringProcedure",
  CASE WHEN status = 'issued' AND expires_at < now() THEN 'expired' ELSE status END AS status,
  CASE WHEN status = 'issued' AND expires_at < now() THEN 'the device did not answer before the expiry'
       ELSE reason END AS reason,
  detail, payload, updated_at AS "updatedAt"`;

interface Row extends Omit<CommandView, 'issuedAt' | 'expiresAt' | 'updatedAt'> {
  issuedAt: Date;
  expiresAt: Date;
  updatedAt: Date;
}
const view = (r: Row): CommandView => ({
  ...r,
  issuedAt: r.issuedAt.toISOString(),
  expiresAt: r.expiresAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

/** Records a command the hub is about to send. */
export async function insertCommand(
  db: Queryable,
  c: {
    id: string;
    deviceId: string;
    kind: CommandKind;
    issuedBy: string;
    issuedAt: Date;
    expiresAt: Date;
    safeDuringProcedure: boolean;
    payload?: Record<string, unknown>;
  },
): Promise<CommandView> {
  const { rows } = await db.query<Row>(
    `INSERT INTO device_commands (id, device_id, kind, issued_by, issued_at, expires_at, safe_during_procedure, payload)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${VIEW}`,
    [
      c.id,
      c.deviceId,
      c.kind,
      c.issuedBy,
      c.issuedAt,
      c.expiresAt,
      c.safeDuringProcedure,
      c.payload ? JSON.stringify(c.payload) : null,
    ],
  );
  return view(rows[0]!);
}

/** A device's commands, newest first. */
export async function listCommands(db: Queryable, deviceId: string, limit = 100): Promise<CommandView[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${VIEW} FROM device_commands WHERE device_id = $1 ORDER BY issued_at DESC, id LIMIT $2`,
    [deviceId, limit],
  );
  return rows.map(view);
}

/** One command of a device, or undefined. */
export async function findCommand(
  db: Queryable,
  deviceId: string,
  id: string,
): Promise<CommandView | undefined> {
  const { rows } = await db.query<Row>(
    `SELECT ${VIEW} FROM device_commands WHERE device_id = $1 AND id = $2`,
    [deviceId, id],
  );
  return rows[0] && view(rows[0]);
}

/**
 * Applies a device's answer. A status moves forward only (issued, accepted, accepted with
 * `detail.started` (a deferred command whose wait is over), then a final answer), so a redelivered or
 * late answer changes nothing. 'unknown' when the device has no such command.
 * A final answer's detail is merged over what the hub already keeps (where the logs were stored).
 */
export async function applyCommandResult(
  db: Queryable,
  deviceId: string,
  result: CommandResult,
): Promise<'applied' | 'stale' | 'unknown'> {
  const { rowCount } = await db.query(
    `UPDATE device_commands
        SET status = $3, reason = $4,
            detail = CASE WHEN $5::jsonb IS NULL THEN detail ELSE coalesce(detail, '{}'::jsonb) || $5::jsonb END,
            updated_at = now()
      WHERE id = $1 AND device_id = $2
        AND (CASE status WHEN 'issued' THEN 0
                         WHEN 'accepted' THEN CASE WHEN detail ? 'started' THEN 2 ELSE 1 END ELSE 3 END) <
            (CASE $3::text WHEN 'accepted' THEN CASE WHEN $5::jsonb ? 'started' THEN 2 ELSE 1 END ELSE 3 END)`,
    [
      result.commandId,
      deviceId,
      result.status,
      result.reason ?? null,
      result.detail ? JSON.stringify(result.detail) : null,
    ],
  );
  if (rowCount) return 'applied';
  const { rows } = await db.query('SELECT 1 FROM device_commands WHERE id = $1 AND device_id = $2', [
    result.commandId,
    deviceId,
  ]);
  return rows.length ? 'stale' : 'unknown';
}

/** Adds keys to a command's detail (where its logs were stored). */
export async function addCommandDetail(
  db: Queryable,
  deviceId: string,
  id: string,
  detail: Record<string, unknown>,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE device_commands SET detail = coalesce(detail, '{}'::jsonb) || $3::jsonb, updated_at = now()
      WHERE id = $1 AND device_id = $2`,
    [id, deviceId, JSON.stringify(detail)],
  );
  return Boolean(rowCount);
}

/**
 * Commands of a device with no final answer, oldest first: sent again when it reconnects. Those not
 * yet answered while unexpired; and those it accepted, whatever their expiry (a deferred install can
 * wait out a long procedure): a box that restarted while one ran answers it `failed` ("interrupted"),
 * one still running gives its last answer again, so none stays `accepted` after the box comes back.
 * Accepted ones older than 30 days are left as they are.
 */
export async function unansweredCommands(db: Queryable, deviceId: string): Promise<CommandView[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${VIEW} FROM device_commands
      WHERE device_id = $1
        AND ((status = 'issued' AND expires_at > now())
          OR (status = 'accepted' AND issued_at > now() - interval '30 days'))
      ORDER BY issued_at`,
    [deviceId],
  );
  return rows.map(view);
}

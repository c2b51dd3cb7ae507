import type { Queryable } from '../db/database.js';
import type { CommandState, DeviceRolloutState, RolloutStage, RolloutStatus } from './rollout-plan.js';

/** A rollout as the hub shows it. */
export interface RolloutView {
  id: string;
  modelId: string;
  version: string;
  tag: string | null;
  canary: number;
  percent: number;
  maxFailures: number;
  maxLatencyMs: number;
  status: RolloutStatus;
  stage: RolloutStage;
  reason: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/** One device of a rollout, with its commands' states as the box answered them. */
export interface RolloutDeviceView {
  deviceId: string;
  stage: 'canary' | 'percent';
  position: number;
  state: DeviceRolloutState;
  reason: string | null;
  commandId: string | null;
  rollbackCommandId: string | null;
  updatedAt: string;
  install: CommandState | null;
  rollback: CommandState | null;
}

const VIEW = `id, model_id AS "modelId", version, tag, canary, percent, max_failures AS "maxFailures",
  max_latency_ms AS "maxLatencyMs", status, stage, reason, created_by AS "createdBy",
  created_at AS "createdAt", updated_at AS "updatedAt"`;
type Row = Omit<RolloutView, 'createdAt' | 'updatedAt'> & { createdAt: Date; updatedAt: Date };
const view = (r: Row): RolloutView => ({
  ...r,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

/** Records a rollout and the devices it chose, in order. */
export async function insertRollout(
  db: Queryable,
  r: Omit<RolloutView, 'status' | 'stage' | 'reason' | 'createdAt' | 'updatedAt'>,
  devices: { deviceId: string; stage: 'canary' | 'percent' }[],
): Promise<RolloutView> {
  const { rows } = await db.query<Row>(
    `INSERT INTO rollouts (id, model_id, version, tag, canary, percent, max_failures, max_latency_ms, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${VIEW}`,
    [r.id, r.modelId, r.version, r.tag, r.canary, r.percent, r.maxFailures, r.maxLatencyMs, r.createdBy],
  );
  if (devices.length)
    await db.query(
      `INSERT INTO rollout_devices (rollout_id, device_id, stage, position)
       SELECT $1, d, s, p::int - 1 FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(d, s, p)`,
      [r.id, devices.map((d) => d.deviceId), devices.map((d) => d.stage)],
    );
  return view(rows[0]!);
}

export async function findRollout(db: Queryable, id: string): Promise<RolloutView | undefined> {
  const { rows } = await db.query<Row>(`SELECT ${VIEW} FROM rollouts WHERE id = $1`, [id]);
  return rows[0] && view(rows[0]);
}

/** Rollouts, newest first, each with how many of its devices are in each state (the list's progress). */
export async function listRollouts(
  db: Queryable,
  limit = 100,
): Promise<(RolloutView & { counts: Partial<Record<DeviceRolloutState, number>> })[]> {
  const { rows } = await db.query<Row & { counts: Partial<Record<DeviceRolloutState, number>> }>(
    `SELECT ${VIEW},
            (SELECT coalesce(jsonb_object_agg(s.state, s.n), '{}'::jsonb)
               FROM (SELECT state, count(*)::int AS n FROM rollout_devices
                      WHERE rollout_id = rollouts.id GROUP BY state) s) AS counts
       FROM rollouts ORDER BY created_at DESC LIMIT $1`,
    [limit],
  );
  return rows.map(({ counts, ...r }) => ({ ...view(r), counts }));
}

/**
 * Rollouts whose devices may still change state: running or paused, and for a day after an abort or
 * a rollback (a device still installing, or rolling back, answers later).
 */
export async function activeRollouts(db: Queryable): Promise<RolloutView[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${VIEW} FROM rollouts
      WHERE status IN ('running', 'paused')
         OR (status IN ('aborted', 'rolled-back') AND updated_at > now() - interval '1 day')
      ORDER BY created_at`,
  );
  return rows.map(view);
}

/** Sets a rollout's status (and stage, reason); only from one of `from`. True if it changed. */
export async function setRolloutStatus(
  db: Queryable,
  id: string,
  from: readonly RolloutStatus[],
  to: { status: RolloutStatus; stage?: RolloutStage; reason?: string | null },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE rollouts SET status = $3, stage = coalesce($4, stage),
            reason = CASE WHEN $5::boolean THEN $6 ELSE reason END, updated_at = now()
      WHERE id = $1 AND status = ANY ($2::text[])`,
    [id, from, to.status, to.stage ?? null, to.reason !== undefined, to.reason ?? null],
  );
  return Boolean(rowCount);
}

const command = (status: string | null, reason: string | null, detail: unknown): CommandState | null =>
  status
    ? {
        status: status as CommandState['status'],
        reason,
        detail: (detail as Record<string, unknown> | null) ?? null,
      }
    : null;

/** A rollout's devices in order, each with its commands' states (an unanswered expired one: expired). */
export async function rolloutDevices(db: Queryable, rolloutId: string): Promise<RolloutDeviceView[]> {
  const { rows } = await db.query(
    `SELECT rd.device_id AS "deviceId", rd.stage, rd.position, rd.state, rd.reason,
            rd.command_id AS "commandId", rd.rollback_command_id AS "rollbackCommandId", rd.updated_at AS "updatedAt",
            CASE WHEN i.status = 'issued' AND i.expires_at < now() THEN 'expired' ELSE i.status END AS "iStatus",
            i.reason AS "iReason", i.detail AS "iDetail",
            CASE WHEN b.status = 'issued' AND b.expires_at < now() THEN 'expired' ELSE b.status END AS "bStatus",
            b.reason AS "bReason", b.detail AS "bDetail"
       FROM rollout_devices rd
       LEFT JOIN device_commands i ON i.id = rd.command_id
       LEFT JOIN device_commands b ON b.id = rd.rollback_command_id
      WHERE rd.rollout_id = $1 ORDER BY rd.position`,
    [rolloutId],
  );
  return rows.map((r) => ({
    deviceId: r.deviceId,
    stage: r.stage,
    position: r.position,
    state: r.state,
    reason: r.reason,
    commandId: r.commandId,
    rollbackCommandId: r.rollbackCommandId,
    updatedAt: (r.updatedAt as Date).toISOString(),
    install: command(r.iStatus, r.iReason, r.iDetail),
    rollback: command(r.bStatus, r.bReason, r.bDetail),
  }));
}

/** Sets one device's state and reason. */
export async function setDeviceState(
  db: Queryable,
  rolloutId: string,
  deviceId: string,
  state: DeviceRolloutState,
  reason: string | null,
): Promise<void> {
  await db.query(
    `UPDATE rollout_devices SET state = $3, reason = $4, updated_at = now() WHERE rollout_id = $1 AND device_id = $2`,
    [rolloutId, deviceId, state, reason],
  );
}

/** Records the command sent to a device (its install, or its rollback). */
export async function setDeviceCommand(
  db: Queryable,
  rolloutId: string,
  deviceId: string,
  which: 'install' | 'rollback',
  commandId: string,
): Promise<void> {
  await db.query(
    `UPDATE rollout_devices SET ${which === 'install' ? 'command_id' : 'rollback_command_id'} = $3,
            state = $4, updated_at = now()
      WHERE rollout_id = $1 AND device_id = $2`,
    [rolloutId, deviceId, commandId, which === 'install' ? 'pending' : 'rolling-back'],
  );
}

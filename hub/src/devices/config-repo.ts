import type { EdgeConfigFile } from '@gic/shared/config/edge-config-file.js';
import type { ConfigReport } from '@gic/shared/messages/commands.js';
import type { Queryable } from '../db/database.js';

/** A device's twin as the hub keeps it. */
export interface DeviceConfigRow {
  deviceId: string;
  desired: EdgeConfigFile;
  desiredVersion: number;
  desiredBy: string;
  desiredAt: Date;
  commandId: string;
  reported: ConfigReport | null;
  reportedVersion: number | null;
  reportedAt: Date | null;
  overridden: string[];
  pending: string[];
}

const COLUMNS = `device_id AS "deviceId", desired, desired_version AS "desiredVersion", desired_by AS "desiredBy",
  desired_at AS "desiredAt", command_id AS "commandId", reported, reported_version AS "reportedVersion",
  reported_at AS "reportedAt", overridden, pending`;

/** Replaces a device's desired configuration: the next version, carried by command `commandId`. */
export async function setDesiredConfig(
  db: Queryable,
  c: { deviceId: string; desired: EdgeConfigFile; by: string; commandId: string },
): Promise<DeviceConfigRow> {
  const { rows } = await db.query<DeviceConfigRow>(
    `INSERT INTO device_config (device_id, desired, desired_version, desired_by, command_id)
     VALUES ($1, $2, 1, $3, $4)
     ON CONFLICT (device_id) DO UPDATE
       SET desired = excluded.desired, desired_version = device_config.desired_version + 1,
           desired_by = excluded.desired_by, desired_at = now(), command_id = excluded.command_id
     RETURNING ${COLUMNS}`,
    [c.deviceId, JSON.stringify(c.desired), c.by, c.commandId],
  );
  return rows[0]!;
}

/** A device's twin, or undefined when nothing was ever desired for it. */
export async function findDeviceConfig(
  db: Queryable,
  deviceId: string,
): Promise<DeviceConfigRow | undefined> {
  const { rows } = await db.query<DeviceConfigRow>(
    `SELECT ${COLUMNS} FROM device_config WHERE device_id = $1`,
    [deviceId],
  );
  return rows[0];
}

/**
 * Records what a box reports of a desired configuration (the detail of a `config` command's result).
 * Reports move forward only, by version and then by the box's time, so a redelivered or late one
 * changes nothing. 'unknown' when the device has no such config command.
 */
export async function recordConfigReport(
  db: Queryable,
  deviceId: string,
  commandId: string,
  report: ConfigReport,
  at: Date,
): Promise<'applied' | 'stale' | 'unknown'> {
  const { rowCount } = await db.query(
    `UPDATE device_config
        SET reported = $3, reported_version = $4, reported_at = $5, overridden = $6, pending = $7
      WHERE device_id = $1
        AND EXISTS (SELECT 1 FROM device_commands WHERE id = $2 AND device_id = $1 AND kind = 'config')
        AND (reported_version IS NULL OR reported_version < $4 OR (reported_version = $4 AND reported_at <= $5))`,
    [deviceId, commandId, JSON.stringify(report), report.version, at, report.overridden, report.deferred],
  );
  if (rowCount) return 'applied';
  const { rows } = await db.query(
    "SELECT 1 FROM device_commands WHERE id = $1 AND device_id = $2 AND kind = 'config'",
    [commandId, deviceId],
  );
  return rows.length ? 'stale' : 'unknown';
}

/**
 * The desired configuration a device has not confirmed (another version reported, or keys still
 * deferred): sent again when it comes online.
 */
export async function unconfirmedConfig(
  db: Queryable,
  deviceId: string,
): Promise<DeviceConfigRow | undefined> {
  const { rows } = await db.query<DeviceConfigRow>(
    `SELECT ${COLUMNS} FROM device_config
      WHERE device_id = $1 AND (reported_version IS DISTINCT FROM desired_version OR cardinality(pending) > 0)`,
    [deviceId],
  );
  return rows[0];
}

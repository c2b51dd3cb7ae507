import type { DeviceEvent } from '@gic/shared/messages/events.js';
import type { JWK } from 'jose';
import type { Queryable } from '../db/database.js';

export interface DeviceRow {
  id: string;
  name: string;
  public_jwk: JWK;
  revoked_at: Date | null;
}

/** Stores a one-time enrolment token's hash. */
export async function insertEnrolmentToken(
  db: Queryable,
  tokenHash: string,
  createdBy: string,
  expiresAt: Date,
) {
  await db.query('INSERT INTO enrolment_tokens (token_hash, created_by, expires_at) VALUES ($1, $2, $3)', [
    tokenHash,
    createdBy,
    expiresAt,
  ]);
}

/** Marks a token used, atomically; false when it is unknown, expired or already used. */
export async function consumeEnrolmentToken(
  db: Queryable,
  tokenHash: string,
  deviceId: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE enrolment_tokens SET used_at = now(), device_id = $2
      WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()`,
    [tokenHash, deviceId],
  );
  return rowCount === 1;
}

/** Registers a device with its public key. */
export async function insertDevice(
  db: Queryable,
  device: { id: string; name: string; publicJwk: JWK; softwareVersion?: string },
): Promise<Date> {
  const { rows } = await db.query<{ enrolled_at: Date }>(
    'INSERT INTO devices (id, name, public_jwk, software_version) VALUES ($1, $2, $3, $4) RETURNING enrolled_at',
    [device.id, device.name, JSON.stringify(device.publicJwk), device.softwareVersion ?? null],
  );
  return rows[0]!.enrolled_at;
}

/** A device that may connect (enrolled and not revoked). */
export async function findActiveDevice(db: Queryable, id: string): Promise<DeviceRow | undefined> {
  const { rows } = await db.query<DeviceRow>(
    'SELECT id, name, public_jwk, revoked_at FROM devices WHERE id = $1 AND revoked_at IS NULL',
    [id],
  );
  return rows[0];
}

/** Records a device's connection state as the broker sees it. */
export async function setDeviceStatus(db: Queryable, id: string, status: string): Promise<void> {
  await db.query('UPDATE devices SET status = $2, last_seen_at = now() WHERE id = $1', [id, status]);
}

/** Keeps a device's latest telemetry. */
export async function setDeviceTelemetry(db: Queryable, id: string, telemetry: unknown): Promise<void> {
  await db.query(
    'UPDATE devices SET telemetry = $2, telemetry_at = now(), last_seen_at = now() WHERE id = $1',
    [id, JSON.stringify(telemetry)],
  );
}

/** Keeps a device's mask layout from its latest event; an older event (by device sequence) changes nothing. */
export async function setDeviceMaskLayout(
  db: Queryable,
  id: string,
  event: Extract<DeviceEvent, { type: 'device.mask-layout' }>,
): Promise<void> {
  await db.query(
    `UPDATE devices SET mask_layout = $2, mask_layout_change = $3, mask_layout_by = $4, mask_layout_at = $5,
       mask_layout_seq = $6
     WHERE id = $1 AND (mask_layout_seq IS NULL OR mask_layout_seq < $6)`,
    [id, JSON.stringify(event.body.boxes), event.body.change, event.body.by, event.ts, event.seq],
  );
}

/** Every device, for the fleet view. */
export async function listDevices(db: Queryable) {
  const { rows } = await db.query<{
    id: string;
    name: string;
    status: string;
    enrolled_at: Date;
    last_seen_at: Date | null;
    revoked_at: Date | null;
    telemetry: unknown;
    telemetry_at: Date | null;
    mask_layout: unknown;
    mask_layout_change: string | null;
    mask_layout_by: string | null;
    mask_layout_at: Date | null;
  }>(
    `SELECT id, name, status, enrolled_at, last_seen_at, revoked_at, telemetry, telemetry_at,
            mask_layout, mask_layout_change, mask_layout_by, mask_layout_at
       FROM devices WHERE status <> 'virtual' ORDER BY enrolled_at`,
  );
  return rows;
}

import type { DeviceEvent } from '@gic/shared/messages/events.js';
import type { JWK } from 'jose';
import { type SiteScope, siteCondition } from '../auth/site-scope.js';
import type { Queryable } from '../db/database.js';

export interface DeviceRow {
  id: string;
  name: string;
  public_jwk: JWK;
  revoked_at: Date | null;
}

/** Where a device stands: its site and room (auth/site-scope.ts); null: none given. */
export interface DevicePlace {
  site: string | null;
  room: string | null;
}

/** Where a device stands and the groups it is in: what an enrolment token gives the device it enrols. */
export interface DeviceJoining extends DevicePlace {
  tags: string[];
  /** A revoked device whose synced data the new one takes over (re-enrolment hand-over). */
  replaces?: string | null;
}

/** Stores a one-time enrolment token's hash, and the site, room and tags of the device it will enrol. */
export async function insertEnrolmentToken(
  db: Queryable,
  tokenHash: string,
  createdBy: string,
  expiresAt: Date,
  joining: DeviceJoining = { site: null, room: null, tags: [] },
) {
  await db.query(
    `INSERT INTO enrolment_tokens (token_hash, created_by, expires_at, site, room, tags, replaces_device_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [tokenHash, createdBy, expiresAt, joining.site, joining.room, joining.tags, joining.replaces ?? null],
  );
}

/**
 * Marks a token used, atomically; the site, room and tags it gives the device, or null when it is
 * unknown, expired or already used.
 */
export async function consumeEnrolmentToken(
  db: Queryable,
  tokenHash: string,
  deviceId: string,
): Promise<DeviceJoining | null> {
  const { rows } = await db.query<DeviceJoining>(
    `UPDATE enrolment_tokens SET used_at = now(), device_id = $2
      WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
      RETURNING site, room, tags, replaces_device_id AS replaces`,
    [tokenHash, deviceId],
  );
  return rows[0] ?? null;
}

/** Registers a device with its public key, at its site and room. */
export async function insertDevice(
  db: Queryable,
  device: {
    id: string;
    name: string;
    publicJwk: JWK;
    softwareVersion?: string;
    place?: DevicePlace & { tags?: string[] };
  },
): Promise<Date> {
  const { rows } = await db.query<{ enrolled_at: Date }>(
    `INSERT INTO devices (id, name, public_jwk, software_version, site, room, tags)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     RETURNING enrolled_at`,
    [
      device.id,
      device.name,
      JSON.stringify(device.publicJwk),
      device.softwareVersion ?? null,
      device.place?.site ?? null,
      device.place?.room ?? null,
      device.place?.tags ?? [],
    ],
  );
  return rows[0]!.enrolled_at;
}

/**
 * Moves or re-tags a device within the sites `scope` allows (`siteCondition`): its site and/or room (undefined:
 * kept, null: cleared). False when there is no such device within `scope`.
 */
export async function setDevicePlace(
  db: Queryable,
  id: string,
  change: { site?: string | null; room?: string | null; tags?: string[] },
  scope: SiteScope,
): Promise<boolean> {
  const params: unknown[] = [
    id,
    change.site !== undefined,
    change.site ?? null,
    change.room !== undefined,
    change.room ?? null,
    change.tags ?? null,
  ];
  const within = siteCondition(scope, 'site', (v) => `$${params.push(v)}`);
  const { rowCount } = await db.query(
    `UPDATE devices SET site = CASE WHEN $2 THEN $3 ELSE site END, room = CASE WHEN $4 THEN $5 ELSE room END,
            tags = coalesce($6::text[], tags)
      WHERE id = $1 AND status <> 'virtual'${within ? ` AND ${within}` : ''}`,
    params,
  );
  return rowCount === 1;
}

/** A device that may connect (enrolled and not revoked). */
export async function findActiveDevice(db: Queryable, id: string): Promise<DeviceRow | undefined> {
  const { rows } = await db.query<DeviceRow>(
    'SELECT id, name, public_jwk, revoked_at FROM devices WHERE id = $1 AND revoked_at IS NULL',
    [id],
  );
  return rows[0];
}

/** Records a device's connection state as the broker sees it (a revoked device stays `revoked`). */
export async function setDeviceStatus(db: Queryable, id: string, status: string): Promise<void> {
  await db.query(
    'UPDATE devices SET status = $2, last_seen_at = now() WHERE id = $1 AND revoked_at IS NULL',
    [id, status],
  );
}

/**
 * Revokes a device within the sites `scope` allows: its tokens are refused from now on (HTTP and a
 * new MQTT connection at once; an open connection at the broker's next sweep). False when there is no
 * such device within `scope`, or it was already revoked.
 */
export async function revokeDevice(db: Queryable, id: string, scope: SiteScope): Promise<boolean> {
  const params: unknown[] = [id];
  const within = siteCondition(scope, 'site', (v) => `$${params.push(v)}`);
  const { rowCount } = await db.query(
    `UPDATE devices SET revoked_at = now(), status = 'revoked'
      WHERE id = $1 AND revoked_at IS NULL AND status <> 'virtual'${within ? ` AND ${within}` : ''}`,
    params,
  );
  return rowCount === 1;
}

/** Tables whose rows a device wrote, keyed by it: what a re-enrolled box takes over. */
const HANDED_OVER = [
  'device_events',
  'procedures',
  'frame_analyses',
  'recordings',
  'alerts',
  'recording_seals',
  'chat_messages',
  'frame_findings',
] as const;

/**
 * Hands a revoked device's synced data to the device that replaces it (in the enrolment's
 * transaction), so the box's un-synced events and recordings, resent under its new identity, land
 * on the same procedures, each once. Returns the rows moved per table.
 */
export async function handOverDevice(
  db: Queryable,
  from: string,
  to: string,
): Promise<Record<string, number>> {
  const moved: Record<string, number> = {};
  for (const table of HANDED_OVER) {
    const { rowCount } = await db.query(`UPDATE ${table} SET device_id = $2 WHERE device_id = $1`, [
      from,
      to,
    ]);
    moved[table] = rowCount ?? 0;
  }
  await db.query('UPDATE devices SET replaces_device_id = $2 WHERE id = $1', [to, from]);
  return moved;
}

/** A revoked device within `scope` that no other device has taken over yet; undefined otherwise. */
export async function replaceableDevice(
  db: Queryable,
  id: string,
  scope: SiteScope,
): Promise<{ id: string; site: string | null; room: string | null; tags: string[] } | undefined> {
  const params: unknown[] = [id];
  const within = siteCondition(scope, 'site', (v) => `$${params.push(v)}`);
  const { rows } = await db.query<{ id: string; site: string | null; room: string | null; tags: string[] }>(
    `SELECT id, site, room, tags FROM devices d
      WHERE id = $1 AND revoked_at IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM devices n WHERE n.replaces_device_id = d.id)${within ? ` AND ${within}` : ''}`,
    params,
  );
  return rows[0];
}

/**
 * Replaces an active device's public key, only if `currentX` is still its key (two rotations at once:
 * one wins) and no other device holds the new one. 'rotated', 'stale' (the key changed meanwhile,
 * or the device was revoked) or 'taken' (another device has that key).
 */
export async function rotateDeviceKey(
  db: Queryable,
  id: string,
  currentX: string,
  next: JWK,
): Promise<'rotated' | 'stale' | 'taken'> {
  const { rows: holders } = await db.query(
    "SELECT 1 FROM devices WHERE public_jwk->>'x' = $1 AND id <> $2 LIMIT 1",
    [next.x, id],
  );
  if (holders.length) return 'taken';
  const { rowCount } = await db.query(
    `UPDATE devices SET public_jwk = $3, key_rotated_at = now()
      WHERE id = $1 AND public_jwk->>'x' = $2 AND revoked_at IS NULL`,
    [id, currentX, JSON.stringify(next)],
  );
  return rowCount === 1 ? 'rotated' : 'stale';
}

/** Of `ids`, those revoked (the broker's sweep of its open device connections). */
export async function revokedAmong(db: Queryable, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<{ id: string }>(
    'SELECT id FROM devices WHERE id = ANY($1::text[]) AND revoked_at IS NOT NULL',
    [ids],
  );
  return rows.map((r) => r.id);
}

/** The public keys of every device that may connect (enrolled, not revoked), for the fleet's JWKS. */
export async function activeDeviceKeys(db: Queryable): Promise<{ id: string; public_jwk: JWK }[]> {
  const { rows } = await db.query<{ id: string; public_jwk: JWK }>(
    "SELECT id, public_jwk FROM devices WHERE revoked_at IS NULL AND status <> 'virtual' ORDER BY id",
  );
  return rows;
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

/** Every device within the sites `scope` allows, for the fleet view. */
export async function listDevices(db: Queryable, scope: SiteScope) {
  const params: unknown[] = [];
  const within = siteCondition(scope, 'site', (v) => `$${params.push(v)}`);
  const { rows } = await db.query<{
    id: string;
    name: string;
    site: string | null;
    room: string | null;
    tags: string[];
    status: string;
    enrolled_at: Date;
    key_rotated_at: Date | null;
    replaces_device_id: string | null;
    last_seen_at: Date | null;
    revoked_at: Date | null;
    telemetry: unknown;
    telemetry_at: Date | null;
    mask_layout: unknown;
    mask_layout_change: string | null;
    mask_layout_by: string | null;
    mask_layout_at: Date | null;
  }>(
    `SELECT id, name, site, room, tags, status, enrolled_at, key_rotated_at, replaces_device_id, last_seen_at, revoked_at, telemetry, telemetry_at,
            mask_layout, mask_layout_change, mask_layout_by, mask_layout_at
       FROM devices WHERE status <> 'virtual'${within ? ` AND ${within}` : ''} ORDER BY enrolled_at`,
    params,
  );
  return rows;
}

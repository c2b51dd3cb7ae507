import { createHash } from 'node:crypto';
import type { RoomCredential } from '@gic/shared/people/room-credentials.js';
import type { Queryable } from '../db/database.js';

/** A person's in-room credential as the hub keeps it (table `room_credentials`, migration 017). */
export interface RoomCredentialRow {
  user_id: string;
  display_name: string;
  pin_hash: string | null;
  badge_hash: string | null;
  updated_at: Date;
}

/** What an admin sees of a credential: never a hash. */
export interface RoomCredentialSummary {
  userId: string;
  name: string;
  pin: boolean;
  badge: boolean;
  updatedAt: string;
}

export function summarise(row: RoomCredentialRow): RoomCredentialSummary {
  return {
    userId: row.user_id,
    name: row.display_name,
    pin: row.pin_hash !== null,
    badge: row.badge_hash !== null,
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function findRoomCredential(
  db: Queryable,
  userId: string,
): Promise<RoomCredentialRow | undefined> {
  const { rows } = await db.query<RoomCredentialRow>(
    'SELECT user_id, display_name, pin_hash, badge_hash, updated_at FROM room_credentials WHERE user_id = $1',
    [userId],
  );
  return rows[0];
}

/** Every credential but `exceptUserId`'s: a new PIN or badge must not match another person's. */
export async function otherRoomCredentials(
  db: Queryable,
  exceptUserId: string,
): Promise<RoomCredentialRow[]> {
  const { rows } = await db.query<RoomCredentialRow>(
    'SELECT user_id, display_name, pin_hash, badge_hash, updated_at FROM room_credentials WHERE user_id <> $1',
    [exceptUserId],
  );
  return rows;
}

/** Creates or replaces a person's credential (null hashes: that part is removed). */
export async function saveRoomCredential(
  db: Queryable,
  userId: string,
  value: { name: string; pinHash: string | null; badgeHash: string | null; by: string },
): Promise<RoomCredentialRow> {
  const { rows } = await db.query<RoomCredentialRow>(
    `INSERT INTO room_credentials (user_id, display_name, pin_hash, badge_hash, updated_by)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name, pin_hash = excluded.pin_hash,
       badge_hash = excluded.badge_hash, updated_by = excluded.updated_by, updated_at = now()
     RETURNING user_id, display_name, pin_hash, badge_hash, updated_at`,
    [userId, value.name, value.pinHash, value.badgeHash, value.by],
  );
  return rows[0]!;
}

/** Removes a person's credential; true when there was one. */
export async function deleteRoomCredential(db: Queryable, userId: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM room_credentials WHERE user_id = $1', [userId]);
  return rowCount === 1;
}

/**
 * The credentials a box may check: those of enabled people who work at the box's site (given that
 * site, or admins, who are not scoped); a box placed at no site (a clinic that uses no sites) gets
 * every enabled person's. Its version is a digest of the list, so any issue, change, revocation,
 * disabled account or move of the box or a person gives a new one.
 */
export async function roomCredentialsForDevice(
  db: Queryable,
  deviceId: string,
): Promise<{ version: string; items: RoomCredential[] }> {
  const { rows } = await db.query<{
    user_id: string;
    display_name: string;
    role: string;
    pin_hash: string | null;
    badge_hash: string | null;
  }>(
    `SELECT c.user_id, c.display_name, u.role, c.pin_hash, c.badge_hash
     FROM room_credentials c JOIN users u ON u.id = c.user_id
     LEFT JOIN devices d ON d.id = $1
     WHERE u.disabled_at IS NULL
       AND (d.site IS NULL OR u.role = 'admin' OR d.site = ANY (u.sites))
     ORDER BY c.user_id`,
    [deviceId],
  );
  const items = rows.map((r) => ({
    userId: r.user_id,
    name: r.display_name,
    role: r.role,
    pinHash: r.pin_hash,
    badgeHash: r.badge_hash,
  }));
  const version = createHash('sha256').update(JSON.stringify(items)).digest('base64url').slice(0, 32);
  return { version, items };
}

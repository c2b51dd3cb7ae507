import { readJson } from '@gic/shared/http/request-context.js';
import {
  badgeSchema,
  hashRoomSecret,
  pinSchema,
  randomPin,
  verifyRoomSecret,
} from '@gic/shared/people/room-credentials.js';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { audit, auditObject } from '../audit/audit-log.js';
import {
  deleteRoomCredential,
  findRoomCredential,
  otherRoomCredentials,
  type RoomCredentialRow,
  roomCredentialsForDevice,
  saveRoomCredential,
  summarise,
} from '../auth/room-credentials-repo.js';
import type { Database } from '../db/database.js';
import { allow, requireDevice, type UserAuth } from './auth-middleware.js';
import type { HubEnv } from './hub-env.js';
import { targetUser } from './user-routes.js';

/**
 * Issue or change a person's in-room credential. Each part: absent keeps it, null removes it, a value
 * sets it; `generatePin` makes a random PIN that is answered once. At least one part must remain.
 */
export const roomCredentialSchema = z
  .object({
    /** The name the screens show and record; absent: the one it had, else the username. */
    name: z.string().trim().min(1).max(100).optional(),
    pin: pinSchema.nullable().optional(),
    generatePin: z.boolean().optional(),
    /** Digits of a generated PIN. */
    pinDigits: z.number().int().min(6).max(8).default(6),
    badge: badgeSchema.nullable().optional(),
  })
  .strict()
  .refine((v) => !(v.generatePin && v.pin !== undefined), 'give pin or generatePin, not both');

/** Tries at a generated PIN that no one else holds before giving up (10^6 values, few people). */
const GENERATE_TRIES = 5;

/**
 * In-room credentials, for admins, under `/api/v1/users/:id/room-credential`: read (never a hash),
 * issue or change (a PIN set, generated or removed; a badge number), revoke. The boxes drop a
 * changed, revoked or disabled person's credential at their next sync.
 */
export function roomCredentialRoutes(db: Database, auth: UserAuth) {
  const manage = allow(auth, 'users.manage');
  const target = (id: string) => targetUser(db, id);
  /** Whether another person's credential already answers to this PIN or badge. */
  const taken = async (others: RoomCredentialRow[], kind: 'pin' | 'badge', secret: string) => {
    const hashes = others.map((o) => (kind === 'pin' ? o.pin_hash : o.badge_hash)).filter((h) => h !== null);
    const matches = await Promise.all(hashes.map((h) => verifyRoomSecret(kind, secret, h)));
    return matches.some(Boolean);
  };
  return new Hono<HubEnv>()
    .get('/:id/room-credential', audit('room-credential.read', 'user', 'id'), manage, async (c) => {
      const user = await target(c.req.param('id'));
      const row = await findRoomCredential(db, user.id);
      if (!row) throw new HTTPException(404, { message: 'this person has no in-room credential' });
      return c.json(summarise(row));
    })
    .put('/:id/room-credential', audit('room-credential.issue', 'user', 'id'), manage, async (c) => {
      const body = await readJson(c, roomCredentialSchema);
      const user = await target(c.req.param('id'));
      if (user.disabled_at) throw new HTTPException(409, { message: 'the user is disabled' });
      const current = await findRoomCredential(db, user.id);
      const others = await otherRoomCredentials(db, user.id);
      let pinHash = current?.pin_hash ?? null;
      let badgeHash = current?.badge_hash ?? null;
      let generated: string | undefined;
      if (body.generatePin) {
        for (let i = 0; i < GENERATE_TRIES && !generated; i++) {
          const pin = randomPin(body.pinDigits);
          if (!(await taken(others, 'pin', pin))) generated = pin;
        }
        if (!generated) throw new HTTPException(409, { message: 'no free PIN found: use more digits' });
        pinHash = await hashRoomSecret('pin', generated);
      } else if (body.pin === null) pinHash = null;
      else if (body.pin !== undefined) {
        if (await taken(others, 'pin', body.pin))
          throw new HTTPException(409, { message: 'another person has that PIN: choose another' });
        pinHash = await hashRoomSecret('pin', body.pin);
      }
      if (body.badge === null) badgeHash = null;
      else if (body.badge !== undefined) {
        if (await taken(others, 'badge', body.badge))
          throw new HTTPException(409, { message: 'another person has that badge number' });
        badgeHash = await hashRoomSecret('badge', body.badge);
      }
      if (!pinHash && !badgeHash)
        throw new HTTPException(400, { message: 'give a PIN or a badge number (to remove both, revoke)' });
      const part = (given: unknown, made = false) =>
        made ? 'generated' : given === null ? 'removed' : given === undefined ? 'kept' : 'set';
      const change = { pin: part(body.pin, Boolean(generated)), badge: part(body.badge) };
      auditObject(c, user.id, { username: user.username, ...change });
      const row = await saveRoomCredential(db, user.id, {
        name: body.name ?? current?.display_name ?? user.username,
        pinHash,
        badgeHash,
        by: c.get('user')!.userId,
      });
      c.get('log').info(
        { username: user.username, ...change, by: c.get('user')!.username },
        'in-room credential issued',
      );
      return c.json({ ...summarise(row), ...(generated ? { generatedPin: generated } : {}) });
    })
    .delete('/:id/room-credential', audit('room-credential.revoke', 'user', 'id'), manage, async (c) => {
      const user = await target(c.req.param('id'));
      if (!(await deleteRoomCredential(db, user.id)))
        throw new HTTPException(404, { message: 'this person has no in-room credential' });
      c.get('log').info(
        { username: user.username, by: c.get('user')!.username },
        'in-room credential revoked',
      );
      return c.body(null, 204);
    });
}

/**
 * `GET /api/v1/devices/me/room-credentials` for a box (device-signed token): the hashes it checks
 * sign-ins against offline, with their version as ETag; `If-None-Match` with the same answers 304.
 */
export function deviceRoomCredentialRoutes(db: Database) {
  return new Hono<HubEnv>().get('/', requireDevice(db), async (c) => {
    const list = await roomCredentialsForDevice(db, c.get('deviceId')!);
    const etag = `"${list.version}"`;
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, { etag });
    c.get('log').debug(
      { deviceId: c.get('deviceId'), credentials: list.items.length },
      'room credentials sent',
    );
    return c.json(list, 200, { etag, 'cache-control': 'no-store' });
  });
}

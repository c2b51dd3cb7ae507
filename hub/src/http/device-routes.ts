import { randomBytes } from 'node:crypto';
import { BROKER_AUDIENCE, DEVICE_TOKEN_ALG, HUB_API_AUDIENCE } from '@gic/provisioning/device-token.js';
import { deviceIdSchema, enrolRequestSchema } from '@gic/provisioning/enrolment-messages.js';
import { createEnrolmentToken, hashEnrolmentToken } from '@gic/provisioning/enrolment-token.js';
import { readJson, readQuery } from '@gic/shared/http/request-context.js';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { audit, auditObject } from '../audit/audit-log.js';
import { siteNameSchema } from '../auth/site-scope.js';
import { type Database, inTransaction } from '../db/database.js';
import { deviceTagSchema, deviceTagsSchema } from '../devices/device-tags.js';
import {
  activeDeviceKeys,
  consumeEnrolmentToken,
  handOverDevice,
  insertDevice,
  insertEnrolmentToken,
  listDevices,
  replaceableDevice,
  revokeDevice,
  setDevicePlace,
} from '../devices/devices-repo.js';
import { telemetryHistory, telemetryQuerySchema } from '../devices/telemetry-history.js';
import { allow, type UserAuth } from './auth-middleware.js';
import type { HubEnv } from './hub-env.js';
import { requireDeviceInScope, siteOfNew, siteScope } from './site-guard.js';

export const tokenRequestSchema = z.object({
  /** How long the token stays valid (hours); one-time use either way. */
  ttlHours: z
    .number()
    .positive()
    .max(24 * 7)
    .default(24),
  /** The site of the device it enrols (one of the caller's; absent: their only one). */
  site: siteNameSchema.optional(),
  /** The room of the device it enrols. */
  room: siteNameSchema.optional(),
  /** The groups the device it enrols joins (a canary group, a scope model, a building). */
  tags: deviceTagsSchema.optional(),
  /**
   * A revoked device the one it enrols replaces (the same box re-enrolled, or its successor): its
   * synced data passes to the new device, and its site, room and tags are the defaults.
   */
  replaces: deviceIdSchema.optional(),
});

/**
 * `PATCH /api/v1/devices/{id}`: its site and/or room (null clears one; clearing a site: admins only),
 * and/or its tags (the whole set; [] clears them).
 */
export const devicePlaceSchema = z
  .object({
    site: siteNameSchema.nullable().optional(),
    room: siteNameSchema.nullable().optional(),
    tags: deviceTagsSchema.optional(),
  })
  .strict()
  .refine(
    (v) => v.site !== undefined || v.room !== undefined || v.tags !== undefined,
    'give site, room or tags',
  );

/** `GET /api/v1/devices?tag=`: only the devices with that tag. */
export const deviceListQuerySchema = z.object({ tag: deviceTagSchema.optional() }).strict();

export interface DeviceRoutesOptions {
  db: Database;
  auth: UserAuth;
  mqttPublicUrl: string;
  hubPublicUrl: string;
}

/**
 * Enrolment tokens (fleet), device enrolment (token holder), the device list and a device's site and
 * room (fleet). A fleet operator sees and moves only the devices of their sites (auth/site-scope.ts).
 */
export function deviceRoutes({ db, auth, mqttPublicUrl, hubPublicUrl }: DeviceRoutesOptions) {
  const enrol = allow(auth, 'devices.enrol');
  /** A device as the list shows it (after a change the caller was allowed to make). */
  const deviceView = async (id: string) =>
    (await listDevices(db, { all: true, sites: [] })).find((d) => d.id === id)!;
  return (
    new Hono<HubEnv>()
      .post('/enrolment-tokens', audit('device.enrolment-token', 'enrolment_token'), enrol, async (c) => {
        const request = await readJson(c, tokenRequestSchema);
        const replaced = request.replaces
          ? await replaceableDevice(db, request.replaces, await siteScope(c, db))
          : undefined;
        if (request.replaces && !replaced)
          throw new HTTPException(409, {
            message: `device ${request.replaces} is not a revoked device of your sites that no other device has replaced`,
          });
        const { ttlHours } = request;
        const site = await siteOfNew(c, db, request.site ?? replaced?.site ?? undefined);
        const room = request.room ?? replaced?.room ?? undefined;
        const tags = request.tags ?? replaced?.tags ?? [];
        const replaces = replaced?.id ?? null;
        const { token, tokenHash } = createEnrolmentToken();
        const expiresAt = new Date(Date.now() + ttlHours * 3600_000);
        await insertEnrolmentToken(db, tokenHash, c.get('user')!.userId, expiresAt, {
          site,
          room: room ?? null,
          tags,
          replaces,
        });
        auditObject(c, tokenHash.slice(0, 16), { site, room: room ?? null, tags, replaces });
        c.get('log').info({ expiresAt, site, room, tags, replaces }, 'enrolment token created');
        return c.json(
          { token, expiresAt: expiresAt.toISOString(), site, room: room ?? null, tags, replaces },
          201,
        );
      })
      .post('/enrol', audit('device.enrol', 'device'), async (c) => {
        const request = await readJson(c, enrolRequestSchema);
        const deviceId = `edge-${randomBytes(6).toString('hex')}`;
        const enrolled = await inTransaction(db, async (tx) => {
          const place = await consumeEnrolmentToken(tx, hashEnrolmentToken(request.token), deviceId);
          if (!place) {
            throw new HTTPException(401, { message: 'enrolment token is unknown, expired or already used' });
          }
          const enrolledAt = await insertDevice(tx, {
            id: deviceId,
            name: request.name,
            publicJwk: request.publicKey,
            place,
            ...(request.softwareVersion ? { softwareVersion: request.softwareVersion } : {}),
          });
          if (place.replaces && !(await replaceableDevice(tx, place.replaces, { all: true, sites: [] })))
            throw new HTTPException(409, {
              message: `device ${place.replaces}, which this token replaces, has been replaced already`,
            });
          const handedOver = place.replaces ? await handOverDevice(tx, place.replaces, deviceId) : undefined;
          return { enrolledAt, handedOver, replaces: place.replaces ?? null };
        });
        auditObject(c, deviceId, {
          name: request.name,
          ...(enrolled.replaces ? { replaces: enrolled.replaces, handedOver: enrolled.handedOver } : {}),
        });
        c.get('log').info(
          { deviceId, name: request.name, replaces: enrolled.replaces, handedOver: enrolled.handedOver },
          'device enrolled',
        );
        const { enrolledAt } = enrolled;
        return c.json(
          {
            deviceId,
            mqttUrl: mqttPublicUrl,
            hubUrl: hubPublicUrl,
            brokerAudience: BROKER_AUDIENCE,
            hubAudience: HUB_API_AUDIENCE,
            enrolledAt: enrolledAt.toISOString(),
          },
          201,
        );
      })
      .get('/', allow(auth, 'devices.read'), async (c) => {
        const query = readQuery(c, deviceListQuerySchema);
        const items = await listDevices(db, await siteScope(c, db));
        return c.json({ items: query.tag ? items.filter((d) => d.tags.includes(query.tag!)) : items });
      })
      // Public keys only (no names, sites or rooms), as an identity provider publishes its keys: a
      // clustered broker verifies device tokens against it (key id = device id; revoked devices gone).
      .get('/jwks.json', async (c) => {
        const keys = (await activeDeviceKeys(db)).map(({ id, public_jwk }) => ({
          kty: public_jwk.kty,
          crv: public_jwk.crv,
          x: public_jwk.x,
          kid: id,
          alg: DEVICE_TOKEN_ALG,
          use: 'sig',
        }));
        c.header('cache-control', 'public, max-age=60');
        return c.json({ keys });
      })
      .get(
        '/:id/telemetry',
        audit('device.telemetry', 'device', 'id'),
        allow(auth, 'devices.read'),
        async (c) => {
          const id = c.req.param('id');
          await requireDeviceInScope(c, db, id, 'no such device');
          const query = readQuery(c, telemetryQuerySchema);
          const to = new Date();
          const from = new Date(to.getTime() - query.hours * 3600_000);
          const history = await telemetryHistory(db, id, from, to, query.points);
          return c.json({ deviceId: id, from: from.toISOString(), to: to.toISOString(), ...history });
        },
      )
      .post('/:id/revoke', audit('device.revoke', 'device', 'id'), enrol, async (c) => {
        const id = c.req.param('id');
        await requireDeviceInScope(c, db, id, 'no such device');
        if (!(await revokeDevice(db, id, await siteScope(c, db))))
          throw new HTTPException(409, { message: 'the device is already revoked' });
        auditObject(c, id, {});
        c.get('log').warn({ deviceId: id, by: c.get('user')!.username }, 'device revoked');
        return c.json(await deviceView(id));
      })
      .patch('/:id', audit('device.move', 'device', 'id'), enrol, async (c) => {
        const change = await readJson(c, devicePlaceSchema);
        const id = c.req.param('id');
        await requireDeviceInScope(c, db, id, 'no such device');
        const scope = await siteScope(c, db);
        if (change.site === null && !scope.all)
          throw new HTTPException(403, { message: "only admins may clear a device's site" });
        if (change.site) await siteOfNew(c, db, change.site);
        if (!(await setDevicePlace(db, id, change, scope)))
          throw new HTTPException(404, { message: 'no such device' });
        auditObject(c, id, change);
        c.get('log').info({ deviceId: id, ...change, by: c.get('user')!.username }, 'device moved');
        return c.json(await deviceView(id));
      })
  );
}

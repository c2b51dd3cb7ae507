import { randomBytes } from 'node:crypto';
import { BROKER_AUDIENCE, HUB_API_AUDIENCE } from '@gic/provisioning/device-token.js';
import { enrolRequestSchema } from '@gic/provisioning/enrolment-messages.js';
import { createEnrolmentToken, hashEnrolmentToken } from '@gic/provisioning/enrolment-token.js';
import { readJson } from '@gic/shared/http/request-context.js';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { audit, auditObject } from '../audit/audit-log.js';
import { type Database, inTransaction } from '../db/database.js';
import {
  consumeEnrolmentToken,
  insertDevice,
  insertEnrolmentToken,
  listDevices,
} from '../devices/devices-repo.js';
import { allow, type UserAuth } from './auth-middleware.js';
import type { HubEnv } from './hub-env.js';

export const tokenRequestSchema = z.object({
  /** How long the token stays valid (hours); one-time use either way. */
  ttlHours: z
    .number()
    .positive()
    .max(24 * 7)
    .default(24),
});

export interface DeviceRoutesOptions {
  db: Database;
  auth: UserAuth;
  mqttPublicUrl: string;
  hubPublicUrl: string;
}

/** Enrolment tokens (admin), device enrolment (token holder) and the device list. */
export function deviceRoutes({ db, auth, mqttPublicUrl, hubPublicUrl }: DeviceRoutesOptions) {
  return new Hono<HubEnv>()
    .post(
      '/enrolment-tokens',
      audit('device.enrolment-token', 'enrolment_token'),
      allow(auth, 'devices.enrol'),
      async (c) => {
        const { ttlHours } = await readJson(c, tokenRequestSchema);
        const { token, tokenHash } = createEnrolmentToken();
        const expiresAt = new Date(Date.now() + ttlHours * 3600_000);
        await insertEnrolmentToken(db, tokenHash, c.get('user')!.userId, expiresAt);
        c.get('log').info({ expiresAt }, 'enrolment token created');
        return c.json({ token, expiresAt: expiresAt.toISOString() }, 201);
      },
    )
    .post('/enrol', audit('device.enrol', 'device'), async (c) => {
      const request = await readJson(c, enrolRequestSchema);
      const deviceId = `edge-${randomBytes(6).toString('hex')}`;
      const enrolledAt = await inTransaction(db, async (tx) => {
        if (!(await consumeEnrolmentToken(tx, hashEnrolmentToken(request.token), deviceId))) {
          throw new HTTPException(401, { message: 'enrolment token is unknown, expired or already used' });
        }
        return insertDevice(tx, {
          id: deviceId,
          name: request.name,
          publicJwk: request.publicKey,
          ...(request.softwareVersion ? { softwareVersion: request.softwareVersion } : {}),
        });
      });
      auditObject(c, deviceId, { name: request.name });
      c.get('log').info({ deviceId, name: request.name }, 'device enrolled');
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
    .get('/', allow(auth, 'devices.read'), async (c) => c.json({ items: await listDevices(db) }));
}

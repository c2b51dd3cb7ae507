import { verifyDeviceToken } from '@gic/provisioning/device-token.js';
import { KEY_ROTATION_AUDIENCE, keyRotationRequestSchema } from '@gic/provisioning/key-rotation.js';
import { readJson } from '@gic/shared/http/request-context.js';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { audit, auditObject } from '../audit/audit-log.js';
import type { Database } from '../db/database.js';
import { findActiveDevice, rotateDeviceKey } from '../devices/devices-repo.js';
import { requireDevice } from './auth-middleware.js';
import type { HubEnv } from './hub-env.js';

/**
 * `POST /api/v1/devices/me/key` for a box: it rotates its key pair, proving both keys. The request is
 * signed with the current key (device authentication), its body carries the new public key and a
 * token signed with the new private key. From then on only the new key is accepted (HTTP, a new MQTT
 * connection, the fleet's JWKS); a connection opened with the old key stays until it closes.
 */
export function deviceKeyRoutes(db: Database) {
  return new Hono<HubEnv>().post('/', audit('device.key-rotate', 'device'), requireDevice(db), async (c) => {
    const deviceId = c.get('deviceId')!;
    auditObject(c, deviceId, {});
    const { publicKey, proof } = await readJson(c, keyRotationRequestSchema);
    try {
      await verifyDeviceToken(proof, publicKey, { deviceId, audience: KEY_ROTATION_AUDIENCE });
    } catch (err) {
      throw new HTTPException(400, {
        message: `the proof is not a token of this device signed with the new key: ${(err as Error).message}`,
      });
    }
    const device = await findActiveDevice(db, deviceId);
    if (!device) throw new HTTPException(401, { message: 'device authentication failed' });
    const [from, to] = await Promise.all([
      calculateJwkThumbprint(device.public_jwk),
      calculateJwkThumbprint(publicKey as JWK),
    ]);
    // A box that rotated, then crashed before it saved the answer, asks again signed with the new key.
    if (from === to) return c.json({ deviceId, rotated: false, thumbprint: to });
    const outcome = await rotateDeviceKey(db, deviceId, device.public_jwk.x as string, publicKey as JWK);
    if (outcome === 'taken') throw new HTTPException(409, { message: 'another device holds that key' });
    if (outcome === 'stale') throw new HTTPException(409, { message: "the device's key changed meanwhile" });
    auditObject(c, deviceId, { from, to });
    c.get('log').info({ deviceId, from, to }, 'device key rotated');
    return c.json({ deviceId, rotated: true, thumbprint: to });
  });
}

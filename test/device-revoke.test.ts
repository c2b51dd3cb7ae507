/**
 * Revoking a device, as a fleet operator would, against a hub started from its config: its open MQTT
 * connection is cut within seconds, a new one and its HTTP requests are refused, another device carries
 * on, and the hub's JWKS (what a clustered broker would verify device tokens against) drops its key.
 * The JWKS is checked with jose's own key-set verifier, not the hub's code.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHubConfig } from '@gic/hub/config.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import { generateDeviceKeyPair } from '@gic/provisioning/device-keys.js';
import { BROKER_AUDIENCE, HUB_API_AUDIENCE, signDeviceToken } from '@gic/provisioning/device-token.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { deviceTopic } from '@gic/shared/messages/topics.js';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, enrolmentToken } from './helpers.js';
import { testHubEnv } from './test-database.js';

const log = createLogger('revoke', 'silent');
const PASSWORD = 'revoke-admin-password';

describe('a revoked device', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-revoke-'));
  let hub: RunningHub;
  let admin: string;

  beforeAll(async () => {
    hub = await startHub(loadHubConfig(await testHubEnv(dir, PASSWORD)), log);
    admin = await adminToken(hub.httpUrl, PASSWORD);
  }, 120_000);
  afterAll(async () => {
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const enrol = async (name: string) => {
    const keys = await generateDeviceKeyPair();
    const res = await fetch(`${hub.httpUrl}/api/v1/devices/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        token: await enrolmentToken(hub.httpUrl, PASSWORD),
        name,
        publicKey: keys.publicJwk,
      }),
    });
    expect(res.status).toBe(201);
    const { deviceId } = (await res.json()) as { deviceId: string };
    const token = (audience: string) => signDeviceToken(keys.privateJwk, { deviceId, audience });
    return { deviceId, token };
  };
  type Device = Awaited<ReturnType<typeof enrol>>;

  /** Connects as the device; resolves with the client once connected, or rejects with the refusal. */
  const connect = async (device: Device): Promise<MqttClient> => {
    const client = mqtt.connect(hub.mqttUrl, {
      protocolVersion: 4,
      clientId: device.deviceId,
      username: device.deviceId,
      password: await device.token(BROKER_AUDIENCE),
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
    return new Promise((resolve, reject) => {
      client.once('connect', () => resolve(client));
      client.once('error', (err) => {
        client.end(true);
        reject(err);
      });
    });
  };
  const deviceCall = async (device: Device) =>
    (
      await fetch(`${hub.httpUrl}/api/v1/devices/me/room-credentials`, {
        headers: { authorization: `Bearer ${await device.token(HUB_API_AUDIENCE)}` },
      })
    ).status;
  const jwks = async () =>
    (await (await fetch(`${hub.httpUrl}/api/v1/devices/jwks.json`)).json()) as JSONWebKeySet;
  const revoke = (id: string) =>
    fetch(`${hub.httpUrl}/api/v1/devices/${id}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}` },
    });

  it('is cut off within seconds, refused over MQTT and HTTP, and gone from the JWKS; another device carries on', async () => {
    const doomed = await enrol('room to revoke');
    const other = await enrol('room that stays');

    // Before: both keys published, and a token each verifies against the set by its key id alone.
    const before = createLocalJWKSet(await jwks());
    for (const device of [doomed, other]) {
      const { payload, protectedHeader } = await jwtVerify(await device.token(BROKER_AUDIENCE), before, {
        audience: BROKER_AUDIENCE,
        subject: device.deviceId,
      });
      expect(protectedHeader.kid).toBe(device.deviceId);
      expect(payload.iss).toBe(device.deviceId);
    }
    expect(await deviceCall(doomed)).toBe(200);
    const doomedClient = await connect(doomed);
    const otherClient = await connect(other);
    try {
      const closed = new Promise<number>((resolve) => doomedClient.once('close', () => resolve(Date.now())));
      const revokedAt = Date.now();
      const res = await revoke(doomed.deviceId);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { status: string }).status).toBe('revoked');

      // HTTP at once; the open connection within the broker's sweep (2 s) and some slack.
      expect(await deviceCall(doomed)).toBe(401);
      const cutAfterMs =
        (await Promise.race([closed, new Promise((r) => setTimeout(r, 10_000)).then(() => Number.NaN)])) -
        revokedAt;
      console.info(`revoked device's MQTT connection closed ${cutAfterMs} ms after the revocation`);
      expect(cutAfterMs).toBeLessThan(10_000);
      await expect(connect(doomed)).rejects.toThrow(/not authori[sz]ed|bad username or password/i);

      // The other device is untouched: still connected, still answered.
      expect(otherClient.connected).toBe(true);
      expect(await deviceCall(other)).toBe(200);
      await otherClient.publishAsync(deviceTopic(other.deviceId, 'telemetry'), '{}', { qos: 1 });

      // The JWKS no longer verifies the revoked device's tokens; the other's still.
      const after = createLocalJWKSet(await jwks());
      await expect(jwtVerify(await doomed.token(BROKER_AUDIENCE), after)).rejects.toThrow();
      await jwtVerify(await other.token(BROKER_AUDIENCE), after);

      // Revoked once: again is a conflict, an unknown device is not found; each attempt audited.
      expect((await revoke(doomed.deviceId)).status).toBe(409);
      expect((await revoke('edge-000000000000')).status).toBe(404);
      const { rows } = await hub.db.query(
        "SELECT outcome, object_id FROM audit_log WHERE action = 'device.revoke' ORDER BY id",
      );
      expect(rows).toEqual([
        { outcome: 'ok', object_id: doomed.deviceId },
        { outcome: 'failed', object_id: doomed.deviceId },
        { outcome: 'refused', object_id: 'edge-000000000000' },
      ]);
      // The broker's last will for the cut connection does not bring it back as "offline".
      await new Promise((r) => setTimeout(r, 500));
      const { rows: device } = await hub.db.query('SELECT status FROM devices WHERE id = $1', [
        doomed.deviceId,
      ]);
      expect(device[0].status).toBe('revoked');
    } finally {
      doomedClient.end(true);
      await otherClient.endAsync();
    }
  }, 60_000);
});

import { randomUUID } from 'node:crypto';
import { generateDeviceKeyPair } from '@gic/provisioning/device-keys.js';
import { BROKER_AUDIENCE, signDeviceToken } from '@gic/provisioning/device-token.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import type { JWK } from 'jose';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/ports.js';
import { createTestDatabase } from '../../../test/test-database.js';
import { loadHubSecret } from '../auth/hub-secret.js';
import type { Database } from '../db/database.js';
import { IngestService } from '../ingest/ingest-service.js';
import { type BrokerHandle, startEmbeddedBroker } from './embedded-broker.js';

const log = createLogger('test', 'silent');
const clients: MqttClient[] = [];

async function connect(
  url: string,
  clientId: string,
  username: string,
  password: string,
): Promise<MqttClient> {
  const client = mqtt.connect(url, { clientId, username, password, protocolVersion: 4, reconnectPeriod: 0 });
  clients.push(client);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
    client.once('close', () => reject(new Error('closed')));
  });
  return client;
}

// The ingest reaches the broker as it does when they run in different processes (an MQTT connection),
// and attached to the broker's router as the hub does when they share one (no socket between).
describe.each([
  ['an MQTT connection', false],
  ['the broker in its process', true],
])('embedded broker over TCP, the ingest on %s', (_how, local) => {
  let db: Database;
  let broker: BrokerHandle;
  let url: string;
  let ingest: IngestService;
  const device = { id: 'edge-aaa111', keys: undefined as unknown as { privateJwk: JWK; publicJwk: JWK } };
  const token = (privateJwk = device.keys.privateJwk, deviceId = device.id, audience = BROKER_AUDIENCE) =>
    signDeviceToken(privateJwk, { deviceId, audience, ttlSeconds: 60 });

  beforeAll(async () => {
    ({ db } = await createTestDatabase());
    device.keys = await generateDeviceKeyPair();
    await db.query("INSERT INTO devices (id, name, public_jwk) VALUES ($1, 'room', $2)", [
      device.id,
      JSON.stringify(device.keys.publicJwk),
    ]);
    await db.query("INSERT INTO devices (id, name, public_jwk) VALUES ('edge-bbb222', 'room 2', $1)", [
      JSON.stringify((await generateDeviceKeyPair()).publicJwk),
    ]);
    const secret = await loadHubSecret(db);
    const port = await freePort();
    url = `mqtt://127.0.0.1:${port}`;
    broker = await startEmbeddedBroker({ host: '127.0.0.1', port, db, secret }, log);
    ingest = new IngestService(db, secret, url, log, undefined, local ? { local: broker.local } : {});
    await ingest.start();
  });
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await ingest.stop();
    await broker.close();
    await db.end();
  });

  it('lets a device in with a JWT signed by its registered key', async () => {
    const client = await connect(url, device.id, device.id, await token());
    expect(client.connected).toBe(true);
  });

  it('refuses a wrong key, a mismatched client id, a wrong audience and a revoked device', async () => {
    const stranger = await generateDeviceKeyPair();
    await expect(connect(url, device.id, device.id, await token(stranger.privateJwk))).rejects.toThrow(
      /Bad username or password|Not authorized/i,
    );
    await expect(connect(url, 'edge-bbb222', device.id, await token())).rejects.toThrow();
    await expect(
      connect(url, device.id, device.id, await token(undefined, undefined, 'gic-hub-api')),
    ).rejects.toThrow();
    await expect(connect(url, device.id, device.id, 'not-a-jwt')).rejects.toThrow();
    await db.query("UPDATE devices SET revoked_at = now() WHERE id = 'edge-bbb222'");
    await expect(connect(url, 'edge-bbb222', 'edge-bbb222', 'x')).rejects.toThrow();
  });

  it('confirms an event on the device’s ack topic only after it is in PostgreSQL', async () => {
    const client = await connect(url, device.id, device.id, await token());
    await client.subscribeAsync(`gic/v1/d/${device.id}/ack`, { qos: 1 });
    const procedureId = randomUUID();
    const event = {
      id: randomUUID(),
      seq: 1,
      ts: new Date().toISOString(),
      procedureId,
      type: 'procedure.started',
      body: { startedAt: new Date().toISOString(), source: { kind: 'test', label: 'test pattern' } },
    };
    const acked = new Promise<string[]>((resolve) =>
      client.on('message', (_topic, payload) => resolve(JSON.parse(payload.toString()).ids)),
    );
    await client.publishAsync(`gic/v1/d/${device.id}/events`, JSON.stringify(event), { qos: 1 });
    expect(await acked).toEqual([event.id]);
    const { rows } = await db.query('SELECT device_id FROM procedures WHERE id = $1', [procedureId]);
    expect(rows).toEqual([{ device_id: device.id }]);
  });

  it('keeps a device inside its own topic tree', async () => {
    const client = await connect(url, device.id, device.id, await token());
    // Subscribing to another device's or everyone's topics is refused (SUBACK failure code 128).
    const refused = await client
      .subscribeAsync(['gic/v1/d/edge-bbb222/ack', 'gic/v1/d/+/events', 'gic/#'], { qos: 1 })
      .then(
        () => undefined,
        (err: { packet?: { granted?: number[] } }) => err,
      );
    expect(refused?.packet?.granted).toEqual([128, 128, 128]);
    expect(client.connected).toBe(true);
    // Publishing as another device is refused: the broker drops the connection and nothing is ingested.
    const before = await db.query('SELECT count(*)::int AS n FROM device_events');
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    client.publish('gic/v1/d/edge-bbb222/events', JSON.stringify({ forged: true }), { qos: 1 });
    await closed;
    const after = await db.query('SELECT count(*)::int AS n FROM device_events');
    expect(after.rows[0].n).toBe(before.rows[0].n);
    const { rows } = await db.query(
      "SELECT count(*)::int AS n FROM dead_letters WHERE device_id = 'edge-bbb222'",
    );
    expect(rows[0].n).toBe(0);
  });

  it('records the state a device reports, and its Last Will when it drops off', async () => {
    const client = mqtt.connect(url, {
      clientId: device.id,
      username: device.id,
      password: await token(),
      protocolVersion: 4,
      reconnectPeriod: 0,
      will: {
        topic: `gic/v1/d/${device.id}/status`,
        payload: Buffer.from(JSON.stringify({ state: 'offline', ts: new Date().toISOString() })),
        qos: 1,
        retain: true,
      },
    });
    clients.push(client);
    await new Promise<void>((r) => client.once('connect', () => r()));
    const status = async () =>
      (await db.query('SELECT status FROM devices WHERE id = $1', [device.id])).rows[0].status;
    const until = async (want: string) => {
      for (let i = 0; i < 100 && (await status()) !== want; i++) await new Promise((r) => setTimeout(r, 50));
      return status();
    };
    await client.publishAsync(
      `gic/v1/d/${device.id}/status`,
      JSON.stringify({ state: 'no-signal', ts: new Date().toISOString() }),
      { qos: 1, retain: true },
    );
    expect(await until('no-signal')).toBe('no-signal');
    // An abrupt drop (no DISCONNECT) makes the broker publish the Last Will.
    (client as unknown as { stream: { destroy(): void } }).stream.destroy();
    expect(await until('offline')).toBe('offline');
  });

  it('keeps the latest valid telemetry of a device and ignores a malformed one', async () => {
    const client = await connect(url, device.id, device.id, await token());
    const telemetry = {
      ts: new Date().toISOString(),
      source: { state: 'live' },
      procedureId: null,
      analysisFps: 3,
      pendingEvents: 12,
      upload: null,
      disk: { freeBytes: 5e10, recordingsBytes: 1e9 },
      models: [{ id: 'pp-ocrv4-det', version: '4.0.0', executionProvider: 'cpu' }],
      modelsOff: [],
    };
    await client.publishAsync(`gic/v1/d/${device.id}/telemetry`, JSON.stringify({ nonsense: true }), {
      qos: 1,
    });
    await client.publishAsync(`gic/v1/d/${device.id}/telemetry`, JSON.stringify(telemetry), { qos: 1 });
    let row: { telemetry: unknown } | undefined;
    for (let i = 0; i < 100 && !row?.telemetry; i++) {
      await new Promise((r) => setTimeout(r, 50));
      row = (await db.query('SELECT telemetry FROM devices WHERE id = $1', [device.id])).rows[0];
    }
    expect(row?.telemetry).toEqual(telemetry);
  });

  it('takes the retained status a device left before the ingest came, as a new subscriber gets it', async () => {
    await ingest.stop();
    const client = await connect(url, device.id, device.id, await token());
    await client.publishAsync(
      `gic/v1/d/${device.id}/status`,
      JSON.stringify({ state: 'in-procedure', ts: new Date().toISOString() }),
      { qos: 1, retain: true },
    );
    client.end(true);
    await db.query("UPDATE devices SET status = 'never-connected' WHERE id = $1", [device.id]);
    const secret = await loadHubSecret(db);
    ingest = new IngestService(db, secret, url, log, undefined, local ? { local: broker.local } : {});
    await ingest.start();
    let status: string | undefined;
    for (let i = 0; i < 100 && status !== 'in-procedure'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await db.query('SELECT status FROM devices WHERE id = $1', [device.id])).rows[0].status;
    }
    expect(status).toBe('in-procedure');
  });
});

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
import { type BrokerHandle, type BrokerRefusal, startEmbeddedBroker } from './embedded-broker.js';

const logged: { msg: string; clientId?: string | null; packetBytes?: number }[] = [];
const log = createLogger('test', 'warn', { write: (line: string) => logged.push(JSON.parse(line)) });
const clients: MqttClient[] = [];
const MAX_PACKET = 64 * 1024;

describe('embedded broker limits, over TCP', () => {
  let db: Database;
  let broker: BrokerHandle;
  let url: string;
  let ingest: IngestService;
  const refusals: BrokerRefusal[] = [];
  const device = { id: 'edge-ccc333', keys: undefined as unknown as { privateJwk: JWK; publicJwk: JWK } };

  const connect = async () => {
    const password = await signDeviceToken(device.keys.privateJwk, {
      deviceId: device.id,
      audience: BROKER_AUDIENCE,
      ttlSeconds: 60,
    });
    const client = mqtt.connect(url, {
      clientId: device.id,
      username: device.id,
      password,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    clients.push(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    return client;
  };
  const closed = (client: MqttClient) => new Promise<void>((r) => client.once('close', () => r()));
  const count = async (table: string) =>
    (await db.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n as number;
  const event = (padding = '') => ({
    id: randomUUID(),
    seq: 1,
    ts: new Date().toISOString(),
    procedureId: randomUUID(),
    type: 'procedure.started',
    body: { startedAt: new Date().toISOString(), source: { kind: 'test', label: `test${padding}` } },
  });

  beforeAll(async () => {
    ({ db } = await createTestDatabase());
    device.keys = await generateDeviceKeyPair();
    await db.query("INSERT INTO devices (id, name, public_jwk) VALUES ($1, 'room', $2)", [
      device.id,
      JSON.stringify(device.keys.publicJwk),
    ]);
    const secret = await loadHubSecret(db);
    const port = await freePort();
    url = `mqtt://127.0.0.1:${port}`;
    broker = await startEmbeddedBroker(
      {
        host: '127.0.0.1',
        port,
        db,
        secret,
        limits: {
          maxPacketBytes: MAX_PACKET,
          messagesPerSecond: 20,
          messageBurst: 50,
          bytesPerSecond: 1024 * 1024,
          byteBurst: 4 * 1024 * 1024,
        },
        onRefused: (reason) => refusals.push(reason),
      },
      log,
    );
    ingest = new IngestService(db, secret, url, createLogger('test', 'silent'));
    await ingest.start();
  });
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await ingest.stop();
    await broker.close();
    await db.end();
  });

  it('closes the connection of a device that sends a packet over the limit, and ingests nothing', async () => {
    const client = await connect();
    const [events, dead] = [await count('device_events'), await count('dead_letters')];
    const gone = closed(client);
    // 2 MB, as a faulty device once sent: refused from its header, never buffered whole.
    client.publish(`gic/v1/d/${device.id}/events`, Buffer.alloc(2 * 1024 * 1024, 120), { qos: 1 });
    await gone;
    expect(refusals).toEqual(['oversize']);
    const line = logged.find((l) => l.msg.includes('size limit'));
    expect(line).toMatchObject({ clientId: device.id });
    expect(line?.packetBytes).toBeGreaterThan(2 * 1024 * 1024);
    await new Promise((r) => setTimeout(r, 300));
    expect([await count('device_events'), await count('dead_letters')]).toEqual([events, dead]);
  });

  it('still takes a legitimate event just under the limit, confirmed on the ack topic', async () => {
    const client = await connect();
    await client.subscribeAsync(`gic/v1/d/${device.id}/ack`, { qos: 1 });
    const big = event('x'.repeat(150));
    const acked = new Promise<string[]>((resolve) =>
      client.on('message', (_topic, payload) => resolve(JSON.parse(payload.toString()).ids)),
    );
    await client.publishAsync(`gic/v1/d/${device.id}/events`, JSON.stringify(big), { qos: 1 });
    expect(await acked).toEqual([big.id]);
    // A padded payload near the limit passes the broker too (the ingest dead-letters it as invalid).
    await client.publishAsync(`gic/v1/d/${device.id}/telemetry`, Buffer.alloc(MAX_PACKET - 100, 32), {
      qos: 1,
    });
    expect(client.connected).toBe(true);
  });

  it('cuts a device that floods, and lets one within its rate carry on', async () => {
    refusals.length = 0;
    const steady = await connect();
    for (let i = 0; i < 30; i++)
      await steady.publishAsync(`gic/v1/d/${device.id}/telemetry`, '{}', { qos: 1 });
    expect(steady.connected).toBe(true);
    steady.end(true);

    const flooder = await connect();
    const gone = closed(flooder);
    const started = performance.now();
    for (let i = 0; i < 2000; i++) flooder.publish(`gic/v1/d/${device.id}/telemetry`, '{}', { qos: 0 });
    await gone;
    expect(performance.now() - started).toBeLessThan(5000);
    expect(refusals).toEqual(['flood']);
    expect(logged.find((l) => l.msg.includes('publish rate'))).toMatchObject({ clientId: device.id });
  });
});

import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryOutbox } from '@gic/edge/outbox/memory-outbox.js';
import { OutboxPublisher } from '@gic/edge/sync/outbox-publisher.js';
import { loadHubSecret } from '@gic/hub/auth/hub-secret.js';
import type { Database } from '@gic/hub/db/database.js';
import { type EmbeddedS3Handle, startEmbeddedS3 } from '@gic/hub/embedded/embedded-s3.js';
import { IngestService } from '@gic/hub/ingest/ingest-service.js';
import { generateDeviceKeyPair } from '@gic/provisioning/device-keys.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './ports.js';
import { kill, ready, reportErrors, spawnMain } from './processes.js';
import { createTestDatabase } from './test-database.js';

const MOSQUITTO = '/usr/sbin/mosquitto';
const log = createLogger('mosquitto', 'silent');

/** Mosquitto on a free loopback port, open (device JWT authentication lives in the embedded broker). */
async function startMosquitto(): Promise<{ broker: ChildProcess; url: string }> {
  if (!existsSync(MOSQUITTO)) throw new Error('mosquitto is not installed: run scripts/setup.sh test');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'gic-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nuser root\n`);
  const broker = reportErrors(spawn(MOSQUITTO, ['-c', conf], { stdio: 'ignore' }), 'mosquitto');
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    if (i > 50) throw new Error('mosquitto did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { broker, url: `mqtt://127.0.0.1:${port}` };
}

describe('the same edge client and hub ingest against Mosquitto as an external broker', () => {
  let broker: ChildProcess;
  let db: Database;
  let url: string;

  beforeAll(async () => {
    ({ broker, url } = await startMosquitto());
    ({ db } = await createTestDatabase());
  });
  afterAll(async () => {
    broker?.kill('SIGTERM');
    await db?.end();
  });

  it('delivers, confirms and drains a procedure exactly once', async () => {
    const keys = await generateDeviceKeyPair();
    const deviceId = 'edge-mosq0001';
    await db.query("INSERT INTO devices (id, name, public_jwk) VALUES ($1, 'room', $2)", [
      deviceId,
      JSON.stringify(keys.publicJwk),
    ]);
    const ingest = new IngestService(db, await loadHubSecret(db), url, log);
    await ingest.start();
    // Mosquitto drops QoS 1 messages nobody subscribes to yet; a device would resend them after its
    // timeout, but this test is about delivery, not that wait.
    await ingest.subscribed;
    const outbox = new MemoryOutbox();
    const procedureId = randomUUID();
    outbox.append({
      type: 'procedure.started',
      procedureId,
      body: { startedAt: new Date().toISOString(), source: { kind: 'test', label: 'mosquitto' } },
    });
    for (let i = 0; i < 50; i++) {
      outbox.append({ type: 'frame.analysed', procedureId, body: frameBody(i) });
    }
    const publisher = devicePublisher(deviceId, keys, url, outbox);
    await publisher.start();
    try {
      for (let i = 0; i < 200 && outbox.size() > 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(outbox.size()).toBe(0);
      const { rows } = await db.query(
        'SELECT count(*)::int AS n FROM frame_analyses WHERE procedure_id = $1',
        [procedureId],
      );
      expect(rows[0].n).toBe(50);
      const status = await db.query('SELECT status FROM devices WHERE id = $1', [deviceId]);
      expect(status.rows[0].status).toBe('online');
    } finally {
      await publisher.stop();
      await ingest.stop();
    }
  });
});

describe('two ingest processes sharing the events through an MQTT 5 shared subscription (Mosquitto)', () => {
  let broker: ChildProcess;
  let url: string;
  let dbUrl: string;
  let db: Database;
  let s3: EmbeddedS3Handle;
  const hubs: { child: ChildProcess; httpUrl: string }[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'gic-shared-ingest-'));
  chmodSync(dir, 0o711);

  beforeAll(async () => {
    ({ broker, url } = await startMosquitto());
    ({ url: dbUrl, db } = await createTestDatabase());
    s3 = await startEmbeddedS3(join(dir, 's3'), await freePort(), 'gic-recordings');
    for (const name of ['a', 'b']) {
      const port = await freePort();
      const child = spawnMain('hub', {
        GIC_HUB_ROLES: 'ingest',
        GIC_HUB_PORT: String(port),
        GIC_HUB_DATA_DIR: join(dir, name),
        DATABASE_URL: dbUrl,
        MQTT_URL: url,
        GIC_INGEST_SHARED_GROUP: 'gic-ingest',
        S3_ENDPOINT: s3.endpoint,
        S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
        S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      });
      hubs.push({ child, httpUrl: `http://127.0.0.1:${port}` });
    }
    await Promise.all(hubs.map((h) => ready(h.child, `${h.httpUrl}/health/ready`, 60_000)));
  }, 120_000);
  afterAll(async () => {
    await Promise.all(hubs.map((h) => kill(h.child, 'SIGTERM')));
    broker?.kill('SIGTERM');
    await db?.end();
    await s3?.stop();
  });

  it('splits the events between the processes, each applied once, none lost', async () => {
    const DEVICES = 4;
    const FRAMES = 150;
    const devices = await Promise.all(
      Array.from({ length: DEVICES }, async (_, i) => {
        const keys = await generateDeviceKeyPair();
        const deviceId = `edge-share000${i}`;
        await db.query("INSERT INTO devices (id, name, public_jwk) VALUES ($1, 'room', $2)", [
          deviceId,
          JSON.stringify(keys.publicJwk),
        ]);
        const outbox = new MemoryOutbox();
        const procedureId = randomUUID();
        outbox.append({
          type: 'procedure.started',
          procedureId,
          body: { startedAt: new Date().toISOString(), source: { kind: 'test', label: 'shared' } },
        });
        for (let f = 0; f < FRAMES; f++)
          outbox.append({ type: 'frame.analysed', procedureId, body: frameBody(f) });
        // Resent sooner than a device would: Mosquitto drops what reaches a group no member of
        // which has subscribed yet, and a resend is what a real device does about it.
        const publisher = devicePublisher(deviceId, keys, url, outbox, { resendAfterMs: 2000 });
        return { deviceId, procedureId, outbox, publisher };
      }),
    );
    // Both processes' subscriptions in place before the devices send (a member subscribes at connect).
    await new Promise((r) => setTimeout(r, 1000));
    await Promise.all(devices.map((d) => d.publisher.start()));
    try {
      const end = Date.now() + 60_000;
      while (devices.some((d) => d.outbox.size() > 0) && Date.now() < end)
        await new Promise((r) => setTimeout(r, 100));
      expect(devices.map((d) => d.outbox.size())).toEqual(devices.map(() => 0));
    } finally {
      await Promise.all(devices.map((d) => d.publisher.stop()));
    }
    const produced = DEVICES * (FRAMES + 1);
    const { rows } = await db.query(
      'SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS ids FROM device_events',
    );
    const frames = await db.query(
      'SELECT procedure_id, count(*)::int AS n, count(DISTINCT frame_index)::int AS indices FROM frame_analyses GROUP BY procedure_id',
    );
    // What each process applied, by its own metrics: both took a share, and together exactly once each.
    const applied = await Promise.all(
      hubs.map(async (h) => {
        const text = await (await fetch(`${h.httpUrl}/metrics`)).text();
        const line = text
          .split('\n')
          .find((l) => l.startsWith('gic_hub_ingest_messages_total{outcome="applied"}'));
        return line ? Number(line.split(' ').at(-1)) : 0;
      }),
    );
    console.info(
      `shared subscription: ${DEVICES} devices x ${FRAMES + 1} events = ${produced}; applied by process a ${applied[0]}, b ${applied[1]}; rows ${rows[0].n}, distinct ids ${rows[0].ids}`,
    );
    expect(rows[0]).toEqual({ n: produced, ids: produced });
    expect(frames.rows).toHaveLength(DEVICES);
    for (const r of frames.rows) expect(r).toMatchObject({ n: FRAMES, indices: FRAMES });
    expect(applied[0]! + applied[1]!).toBe(produced);
    expect(applied[0]).toBeGreaterThan(0);
    expect(applied[1]).toBeGreaterThan(0);
  }, 120_000);
});

/** The edge's publisher for a device that signs with `keys`, on the broker at `url` (no hub to call). */
function devicePublisher(
  deviceId: string,
  keys: Awaited<ReturnType<typeof generateDeviceKeyPair>>,
  url: string,
  outbox: MemoryOutbox,
  options: { resendAfterMs?: number } = {},
) {
  const credentials = {
    deviceId,
    privateJwk: keys.privateJwk,
    publicJwk: keys.publicJwk,
    mqttUrl: url,
    hubUrl: 'http://127.0.0.1:9',
    enrolledAt: new Date().toISOString(),
  } as never;
  return new OutboxPublisher(credentials, url, outbox, log, () => 'online', options);
}

function frameBody(frameIndex: number) {
  return {
    frameIndex,
    ptsMs: frameIndex * 333,
    width: 512,
    height: 288,
    quality: { sharpness: 100, brightness: 0.3, blurred: false, exposure: 'ok' as const, inBody: true },
    privacyRegions: [],
    detections: [],
    models: [],
    modelsOff: [],
    latencyMs: 10,
  };
}

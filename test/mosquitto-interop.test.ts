import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryOutbox } from '@gic/edge/outbox/memory-outbox.js';
import { OutboxPublisher } from '@gic/edge/sync/outbox-publisher.js';
import { loadHubSecret } from '@gic/hub/auth/hub-secret.js';
import type { Database } from '@gic/hub/db/database.js';
import { IngestService } from '@gic/hub/ingest/ingest-service.js';
import { generateDeviceKeyPair } from '@gic/provisioning/device-keys.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './ports.js';
import { reportErrors } from './processes.js';
import { createTestDatabase } from './test-database.js';

const MOSQUITTO = '/usr/sbin/mosquitto';
const log = createLogger('mosquitto', 'silent');

describe('the same edge client and hub ingest against Mosquitto as an external broker', () => {
  let broker: ChildProcess;
  let db: Database;
  let url: string;

  beforeAll(async () => {
    if (!existsSync(MOSQUITTO)) throw new Error('mosquitto is not installed: run scripts/setup.sh test');
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'gic-mosquitto-'));
    const conf = join(dir, 'mosquitto.conf');
    // Loopback only; device JWT authentication lives in the embedded broker, so this one is open.
    writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nuser root\n`);
    broker = reportErrors(spawn(MOSQUITTO, ['-c', conf], { stdio: 'ignore' }), 'mosquitto');
    url = `mqtt://127.0.0.1:${port}`;
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
      outbox.append({
        type: 'frame.analysed',
        procedureId,
        body: {
          frameIndex: i,
          ptsMs: i * 333,
          width: 512,
          height: 288,
          quality: { sharpness: 100, brightness: 0.3, blurred: false, exposure: 'ok', inBody: true },
          privacyRegions: [],
          detections: [],
          models: [],
          modelsOff: [],
          latencyMs: 10,
        },
      });
    }
    const publisher = new OutboxPublisher(
      {
        deviceId,
        privateJwk: keys.privateJwk,
        publicJwk: keys.publicJwk,
        mqttUrl: url,
        hubUrl: 'http://127.0.0.1:9',
        enrolledAt: new Date().toISOString(),
      } as never,
      url,
      outbox,
      log,
      () => 'online',
    );
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

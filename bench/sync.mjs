#!/usr/bin/env node
// Store-and-forward benchmark (npm run bench:sync), on embedded defaults, loopback only. Prints:
//  - the drain rate of a backlog built during a simulated 10-minute outage (3 fps of frame analyses
//    plus procedure events), from the edge's SQLite outbox into PostgreSQL, as events per second,
//    and as a ratio to a raw QoS 1 publish loop of the same payloads against the same broker; then
//    BENCH_DEVICES (10) devices draining the same outage at once, and the hub's total ingest rate;
//  - multipart upload throughput of a 100 MB recording by presigned URLs, as a ratio to one plain
//    PUT of the same file to the same S3 server. The seed's bar: 100 MB in 10 s.
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { SqliteOutbox } from '@gic/edge/outbox/sqlite-outbox.js';
import { openEdgeDatabase } from '@gic/edge/store/edge-database.js';
import { HubClient } from '@gic/edge/sync/hub-client.js';
import { OutboxPublisher } from '@gic/edge/sync/outbox-publisher.js';
import { finishRecording } from '@gic/edge/upload/finish-recording.js';
import { RecordingUploader } from '@gic/edge/upload/recording-uploader.js';
import { RecordingsStore } from '@gic/edge/upload/recordings-store.js';
import { loadHubSecret } from '@gic/hub/auth/hub-secret.js';
import { signServiceToken } from '@gic/hub/auth/session-tokens.js';
import { loadHubConfig } from '@gic/hub/config.js';
import { startHub } from '@gic/hub/hub-process.js';
import { generateDeviceKeyPair } from '@gic/provisioning/device-keys.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import mqtt from 'mqtt';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const root = resolve(import.meta.dirname, '..');
const dir = join(root, '.gic/bench/sync');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
chmodSync(dir, 0o711);
const log = createLogger('bench', 'warn');
const OUTAGE_S = Number(process.env.BENCH_OUTAGE_S ?? 600);
const FPS = 3;
const UPLOAD_MB = Number(process.env.BENCH_UPLOAD_MB ?? 100);

const hub = await startHub(
  loadHubConfig({
    GIC_HUB_DATA_DIR: join(dir, 'hub'),
    GIC_HUB_PORT: process.env.BENCH_HUB_PORT ?? '18080',
    GIC_MQTT_PORT: process.env.BENCH_MQTT_PORT ?? '18830',
    GIC_EMBEDDED_PG_PORT: process.env.BENCH_PG_PORT ?? '54339',
    GIC_EMBEDDED_S3_PORT: process.env.BENCH_S3_PORT ?? '19000',
    GIC_ADMIN_PASSWORD: 'bench-admin-password',
  }),
  log,
);
try {
  // Enrol one device through the API, as the edge does.
  const post = async (path, body, token) => {
    const res = await fetch(`${hub.httpUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return res.json();
  };
  const { accessToken } = await post('/api/v1/auth/login', {
    username: 'admin',
    password: 'bench-admin-password',
  });
  const enrol = async (name) => {
    const { token } = await post('/api/v1/devices/enrolment-tokens', {}, accessToken);
    const keys = await generateDeviceKeyPair();
    const reply = await post('/api/v1/devices/enrol', { token, name, publicKey: keys.publicJwk });
    return { ...reply, privateJwk: keys.privateJwk, publicJwk: keys.publicJwk };
  };
  const credentials = await enrol('bench');

  // The backlog: a 10-minute procedure analysed at 3 fps while the hub was unreachable.
  const analysis = (frameIndex) => ({
    frameIndex,
    ptsMs: Math.round((frameIndex * 1000) / FPS),
    width: 512,
    height: 288,
    quality: { sharpness: 812.4, brightness: 0.31, blurred: false, exposure: 'ok', inBody: true },
    privacyRegions: [
      { x: 0.02, y: 0.04, w: 0.55, h: 0.06, kind: 'text' },
      { x: 0.02, y: 0.91, w: 0.15, h: 0.05, kind: 'text' },
    ],
    detections: [],
    models: [{ id: 'pp-ocrv4-det', version: '4.0.0', executionProvider: 'cpu' }],
    modelsOff: [],
    latencyMs: 42.1,
  });
  /** An edge database holding the backlog of one outage (one procedure), and its outbox. */
  const backlogDb = (name) => {
    const db = openEdgeDatabase(join(dir, `${name}.db`));
    const outbox = new SqliteOutbox(db);
    const procedureId = randomUUID();
    db.transaction(() => {
      outbox.append({
        type: 'procedure.started',
        procedureId,
        body: { startedAt: new Date().toISOString(), source: { kind: 'test', label: 'bench' } },
      });
      for (let i = 0; i < OUTAGE_S * FPS; i++)
        outbox.append({ type: 'frame.analysed', procedureId, body: analysis(i) });
      outbox.append({
        type: 'procedure.ended',
        procedureId,
        body: { endedAt: new Date().toISOString(), analysedFrames: OUTAGE_S * FPS, reason: 'operator' },
      });
    })();
    return { db, outbox, procedureId };
  };
  const { db, outbox, procedureId } = backlogDb('edge');
  const backlog = outbox.size();
  const payloads = outbox.due(backlog, new Date()).map((e) => e.payload);

  // Baseline: a raw QoS 1 publish loop of the same payloads against the same broker.
  const secret = await loadHubSecret(hub.db);
  const raw = mqtt.connect(hub.mqttUrl, {
    protocolVersion: 4,
    clientId: `hub:bench-${randomUUID().slice(0, 8)}`,
    username: 'bench',
    password: await signServiceToken(secret, 'bench'),
  });
  await new Promise((r) => raw.once('connect', r));
  let started = performance.now();
  for (const payload of payloads) await raw.publishAsync('gic/v1/bench/raw', payload, { qos: 1 });
  const rawRate = payloads.length / ((performance.now() - started) / 1000);
  await raw.endAsync();

  // Drain: outbox -> MQTT QoS 1 -> ingest -> PostgreSQL -> ack -> outbox row deleted.
  started = performance.now();
  const publisher = new OutboxPublisher(credentials, hub.mqttUrl, outbox, log, () => 'online');
  await publisher.start();
  for (;;) {
    const { rows } = await hub.db.query('SELECT count(*)::int AS n FROM device_events');
    if (rows[0].n >= backlog && outbox.size() === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const drainSeconds = (performance.now() - started) / 1000;
  await publisher.stop();
  const drainRate = backlog / drainSeconds;
  console.log(
    `Backlog of a ${OUTAGE_S / 60}-minute outage: ${backlog} events (${(payloads.reduce((s, p) => s + p.length, 0) / 1e6).toFixed(1)} MB)`,
  );
  console.log(
    `  drained into PostgreSQL in ${drainSeconds.toFixed(1)} s: ${drainRate.toFixed(0)} events/s (each confirmed by the hub before deletion)`,
  );
  console.log(`  raw QoS 1 publish loop, same broker: ${rawRate.toFixed(0)} messages/s`);
  console.log(`  ratio drain / raw publish: ${(drainRate / rawRate).toFixed(3)}`);

  // Ten rooms back from the same outage at once: each device drains its own backlog into the hub.
  const DEVICES = Number(process.env.BENCH_DEVICES ?? 10);
  const fleet = [];
  for (let i = 0; i < DEVICES; i++) {
    const { outbox: deviceOutbox } = backlogDb(`fleet-${i}`);
    fleet.push({ credentials: await enrol(`bench-${i}`), outbox: deviceOutbox });
  }
  const { rows: before } = await hub.db.query('SELECT count(*)::int AS n FROM device_events');
  const fleetBacklog = fleet.reduce((n, d) => n + d.outbox.size(), 0);
  started = performance.now();
  const publishers = fleet.map(
    (d) => new OutboxPublisher(d.credentials, hub.mqttUrl, d.outbox, log, () => 'online'),
  );
  await Promise.all(publishers.map((p) => p.start()));
  for (;;) {
    const { rows } = await hub.db.query('SELECT count(*)::int AS n FROM device_events');
    if (rows[0].n - before[0].n >= fleetBacklog && fleet.every((d) => d.outbox.size() === 0)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const fleetSeconds = (performance.now() - started) / 1000;
  await Promise.all(publishers.map((p) => p.stop()));
  console.log(
    `${DEVICES} devices draining the same outage at once: ${fleetBacklog} events in ${fleetSeconds.toFixed(1)} s`,
  );
  console.log(
    `  hub ingest, all devices: ${(fleetBacklog / fleetSeconds).toFixed(0)} events/s (${(fleetBacklog / fleetSeconds / DEVICES).toFixed(0)} per device); ratio to the raw loop: ${(fleetBacklog / fleetSeconds / rawRate).toFixed(3)}`,
  );

  // Upload: 100 MB by presigned multipart vs one plain PUT of the same file.
  const file = join(dir, 'recording.mp4');
  writeFileSync(file, randomBytes(UPLOAD_MB * 1024 * 1024));
  const recordings = new RecordingsStore(db);
  const recordingId = randomUUID();
  db.prepare('INSERT INTO procedures (id, started_at, source_label) VALUES (?, ?, ?)').run(
    procedureId,
    new Date().toISOString(),
    'bench',
  );
  recordings.add(recordingId, procedureId, file);
  await finishRecording(recordings, recordingId);
  const PARALLEL = Number(process.env.BENCH_UPLOAD_PARALLEL ?? 3);
  const uploader = new RecordingUploader(
    recordings,
    new HubClient(credentials),
    log,
    8 * 1024 * 1024,
    0,
    PARALLEL,
  );
  started = performance.now();
  // When the last part was stored and the upload completed (the rest is the hub's verification).
  let partsSeconds = Number.NaN;
  const watch = setInterval(() => {
    if (Number.isNaN(partsSeconds) && uploader.progress?.status === 'verifying')
      partsSeconds = (performance.now() - started) / 1000;
  }, 2);
  const outcome = await uploader.upload(recordingId);
  clearInterval(watch);
  const multipartSeconds = (performance.now() - started) / 1000;
  const putUrl = await getSignedUrl(
    hub.store.client,
    new PutObjectCommand({ Bucket: hub.store.bucket, Key: 'bench/plain.bin' }),
    {
      expiresIn: 600,
    },
  );
  const body = new Uint8Array(await (await import('node:fs/promises')).readFile(file));
  started = performance.now();
  const put = await fetch(putUrl, { method: 'PUT', body });
  const putSeconds = (performance.now() - started) / 1000;
  if (!put.ok) throw new Error(`plain PUT failed: ${put.status}`);
  console.log(
    `Upload of ${UPLOAD_MB} MB (8 MiB parts, ${PARALLEL} in flight, hub-verified SHA-256: ${outcome})`,
  );
  console.log(
    `  parts sent and upload completed: ${partsSeconds.toFixed(2)} s; the hub's read-back and SHA-256 until the device saw it verified: ${(multipartSeconds - partsSeconds).toFixed(2)} s`,
  );
  console.log(
    `  presigned multipart, until verified: ${multipartSeconds.toFixed(2)} s = ${(UPLOAD_MB / multipartSeconds).toFixed(1)} MB/s`,
  );
  console.log(
    `  one plain PUT, same server:          ${putSeconds.toFixed(2)} s = ${(UPLOAD_MB / putSeconds).toFixed(1)} MB/s`,
  );
  console.log(`  ratio multipart / plain PUT: ${(putSeconds / multipartSeconds).toFixed(3)}`);
  console.log(
    `  seed bar: ${UPLOAD_MB} MB in 10 s -> ${multipartSeconds <= (10 * UPLOAD_MB) / 100 ? 'met' : 'NOT met'} on this machine`,
  );

  // The same upload under a 20 MB/s cap (GIC_UPLOAD_MAX_MBPS), as a box would run beside a live procedure.
  const cappedId = randomUUID();
  const cappedProcedure = randomUUID();
  db.prepare('INSERT INTO procedures (id, started_at, source_label) VALUES (?, ?, ?)').run(
    cappedProcedure,
    new Date().toISOString(),
    'bench',
  );
  writeFileSync(join(dir, 'capped.mp4'), randomBytes(UPLOAD_MB * 1024 * 1024));
  recordings.add(cappedId, cappedProcedure, join(dir, 'capped.mp4'));
  await finishRecording(recordings, cappedId);
  const capped = new RecordingUploader(
    recordings,
    new HubClient(credentials),
    log,
    8 * 1024 * 1024,
    20_000_000,
    PARALLEL,
  );
  started = performance.now();
  await capped.upload(cappedId);
  const cappedSeconds = (performance.now() - started) / 1000;
  console.log(
    `  with a 20 MB/s cap: ${cappedSeconds.toFixed(2)} s = ${((UPLOAD_MB * 1.048576) / cappedSeconds).toFixed(1)} MB/s (10^6 bytes)`,
  );
  db.close();
} finally {
  await hub.stop();
}
process.exit(0);

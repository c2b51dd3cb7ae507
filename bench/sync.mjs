#!/usr/bin/env node
// Store-and-forward benchmark (npm run bench:sync), on embedded defaults, loopback only. The hub runs
// as an operator starts it (`node hub/dist/main.js`, its own process); the devices' publishers and
// uploaders run in this one, as the edge's own classes. Prints:
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
import { embeddedS3Credentials } from '@gic/hub/embedded/embedded-s3-credentials.js';
import { ObjectStore } from '@gic/hub/storage/object-store.js';
import { generateDeviceKeyPair } from '@gic/provisioning/device-keys.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import mqtt from 'mqtt';
import { cpuShare, startHub } from './hub-under-test.mjs';

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

const hub = await startHub(root, (line) => console.error(`sync: ${line}`));
/** CPU (% of one core) of the hub's process, its PostgreSQL and this one (the devices) between two readings. */
const cpuNow = () => ({ ...hub.cpu(), self: process.cpuUsage() });
const cpuSince = (from) => {
  const to = cpuNow();
  const shares = cpuShare(from, to);
  const self = process.cpuUsage(from.self);
  const devices = (100 * (self.user + self.system)) / 1000 / (to.at - from.at);
  return `hub ${shares.hub.toFixed(0)}%, its PostgreSQL ${shares.postgres.toFixed(0)}%, the devices' process ${devices.toFixed(0)}% of a core`;
};
try {
  await hub.ready();
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
    password: hub.adminPassword,
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
  const secret = await loadHubSecret(hub);
  const raw = mqtt.connect(hub.mqttUrl, {
    protocolVersion: 4,
    clientId: `hub:bench-${randomUUID().slice(0, 8)}`,
    username: 'bench',
    password: await signServiceToken(secret, 'bench'),
  });
  await new Promise((r) => raw.once('connect', r));
  /** Publishes every payload with `inFlight` at once (each PUBACK letting the next go); messages a second. */
  const rawRun = async (inFlight) => {
    const t0 = performance.now();
    let next = 0;
    const lane = async () => {
      while (next < payloads.length) await raw.publishAsync('gic/v1/bench/raw', payloads[next++], { qos: 1 });
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
    return payloads.length / ((performance.now() - t0) / 1000);
  };
  await rawRun(200); // warm-up: the broker's path compiled, as the drain below finds it after the baselines
  const rawRate = await rawRun(1);
  // And pipelined: the same payloads with 200 in flight, as the edge's publisher keeps them.
  const pipelinedRate = await rawRun(200);
  let started;
  await raw.endAsync();

  // Drain: outbox -> MQTT QoS 1 -> ingest -> PostgreSQL -> ack -> outbox row deleted.
  let cpuFrom = cpuNow();
  started = performance.now();
  const publisher = new OutboxPublisher(credentials, hub.mqttUrl, outbox, log, () => 'online');
  await publisher.start();
  // When the first event was committed (the connection, its authentication and the first round trip
  // before it): the rate after it is the drain's own.
  // (The hub confirms an event only once committed: the outbox, read here at no cost to the hub,
  // shrinks as events are committed; PostgreSQL is asked only once it is empty.)
  let firstAt;
  let handedAt;
  for (;;) {
    const left = outbox.size();
    if (firstAt === undefined && left < backlog) firstAt = performance.now();
    // Every event handed to the broker (none left unsent): the rest of the drain is the hub's.
    if (handedAt === undefined && outbox.due(1, new Date(0)).length === 0) handedAt = performance.now();
    if (left === 0) {
      const { rows } = await hub.query('SELECT count(*)::int AS n FROM device_events');
      if (rows[0].n >= backlog) break;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  const drainSeconds = (performance.now() - started) / 1000;
  const firstSeconds = (firstAt - started) / 1000;
  await publisher.stop();
  const drainRate = backlog / (drainSeconds - firstSeconds);
  console.log(
    `Backlog of a ${OUTAGE_S / 60}-minute outage: ${backlog} events (${(payloads.reduce((s, p) => s + p.length, 0) / 1e6).toFixed(1)} MB)`,
  );
  console.log(
    `  drained into PostgreSQL in ${drainSeconds.toFixed(2)} s (${backlog / drainSeconds > 0 ? (backlog / drainSeconds).toFixed(0) : 0} events/s), each confirmed by the hub before deletion; the first confirmed ${firstSeconds.toFixed(2)} s after the start (connection and first round trip), then ${drainRate.toFixed(0)} events/s`,
  );
  console.log(
    `  the device had handed every event to the broker ${((handedAt - started) / 1000).toFixed(2)} s after the start`,
  );
  console.log(`  raw QoS 1 publish loop, same broker: ${rawRate.toFixed(0)} messages/s`);
  console.log(
    `  raw QoS 1 publishing with 200 in flight, same broker: ${pipelinedRate.toFixed(0)} messages/s (nothing stored, nothing confirmed)`,
  );
  console.log(
    `  ratio drain (after the first confirmation) / raw publish loop: ${(drainRate / rawRate).toFixed(3)}; / raw with 200 in flight: ${(drainRate / pipelinedRate).toFixed(3)}`,
  );
  console.log(`  CPU while draining: ${cpuSince(cpuFrom)}`);

  // Ten rooms back from the same outage at once: each device drains its own backlog into the hub.
  const DEVICES = Number(process.env.BENCH_DEVICES ?? 10);
  const fleet = [];
  for (let i = 0; i < DEVICES; i++) {
    const { outbox: deviceOutbox } = backlogDb(`fleet-${i}`);
    fleet.push({ credentials: await enrol(`bench-${i}`), outbox: deviceOutbox });
  }
  const { rows: before } = await hub.query('SELECT count(*)::int AS n FROM device_events');
  const fleetBacklog = fleet.reduce((n, d) => n + d.outbox.size(), 0);
  cpuFrom = cpuNow();
  started = performance.now();
  const publishers = fleet.map(
    (d) => new OutboxPublisher(d.credentials, hub.mqttUrl, d.outbox, log, () => 'online'),
  );
  await Promise.all(publishers.map((p) => p.start()));
  for (;;) {
    if (fleet.every((d) => d.outbox.size() === 0)) {
      const { rows } = await hub.query('SELECT count(*)::int AS n FROM device_events');
      if (rows[0].n - before[0].n >= fleetBacklog) break;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  const fleetSeconds = (performance.now() - started) / 1000;
  await Promise.all(publishers.map((p) => p.stop()));
  console.log(
    `${DEVICES} devices draining the same outage at once: ${fleetBacklog} events in ${fleetSeconds.toFixed(1)} s`,
  );
  console.log(
    `  hub ingest, all devices: ${(fleetBacklog / fleetSeconds).toFixed(0)} events/s (${(fleetBacklog / fleetSeconds / DEVICES).toFixed(0)} per device); ratio to the raw loop: ${(fleetBacklog / fleetSeconds / rawRate).toFixed(3)}`,
  );
  console.log(`  CPU while draining: ${cpuSince(cpuFrom)}`);

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
  // The hub's store, with the key pair the hub made for its embedded S3 server.
  const hubConfig = loadHubConfig(hub.env);
  const store = new ObjectStore({
    ...hubConfig.s3,
    ...embeddedS3Credentials(hubConfig.dataDir, hubConfig.s3),
  });
  const putUrl = await getSignedUrl(
    store.client,
    new PutObjectCommand({ Bucket: store.bucket, Key: 'bench/plain.bin' }),
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

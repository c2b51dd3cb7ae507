#!/usr/bin/env node
// Fleet benchmark (npm run bench:fleet): one hub, started as an operator starts it (node
// hub/dist/main.js, embedded PostgreSQL, S3 and broker, its own data folder under /tmp), and N
// simulated edge boxes, each a real MQTT client with its own Ed25519 key, enrolled through the API.
// Prints: enrolment and connect times; event ingest (offered and committed rates, publish -> ack
// lag, what is left unacknowledged at the end) and the telemetry write rate; a self-test command to
// every box through the API with some boxes in a procedure (refused) and the rest not (succeeded);
// a model rollout to every box (a version generated in code, uploaded; a canary group, then the rest),
// the same number of boxes in a procedure (deferred, then done once their procedures end), each box
// installing it with the edge's own runner (bench/fleet/sim-model.mjs says what is shared); then a ramp with 2x and 4x the boxes (then the events per second) to find where one hub runs out,
// with the hub's CPU (and its PostgreSQL's) at each step. Everything is removed at the end.
//   BENCH_DEVICES (50)           simulated boxes
//   BENCH_SECONDS (60)           length of the event phase (s)
//   BENCH_EVENTS_PER_S (3)       events a second per box in a procedure
//   BENCH_TELEMETRY_S (15)       telemetry period per box (s)
//   BENCH_IN_PROCEDURE (10)      boxes in a procedure when the self-test goes out
//   BENCH_ROLLOUT_CANARY (2)     boxes in the rollout's canary group (0: no model rollout)
//   BENCH_ROLLOUT_HOLD_S (15)    the procedures end this long after the rollout starts (or once the rest are done)
//   BENCH_ROLLOUT_HEALTH (shared) `each`: every box runs its own ONNX Runtime health check, not one per version
//   BENCH_ROLLOUT_EXTRA_MB (0)   a second file of that many MiB in the model, to weigh the downloads
//   BENCH_ROLLOUT_INTERVAL_MS    the hub's GIC_ROLLOUT_INTERVAL_MS (unset: its default, 2000)
//   BENCH_RAMP (2,4)             multiples of the boxes for the ramp, then of the event rate (BENCH_RAMP_RATES: 2,4)
//   BENCH_RAMP_SECONDS (20)      length of each ramp step (s)
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { openEdgeDatabase } from '@gic/edge/store/edge-database.js';
import { inBatches, percentile, spread, wait } from './fleet/figures.mjs';
import { FleetDriver } from './fleet/fleet-driver.mjs';
import { signIn } from './fleet/hub-api.mjs';
import { rolloutLines, runRollout } from './fleet/rollout-phase.mjs';
import { SimDevice } from './fleet/sim-device.mjs';
import { SharedHealthCheck } from './fleet/sim-model.mjs';
import { cpuShare, startHub } from './hub-under-test.mjs';

const root = resolve(import.meta.dirname, '..');
const num = (name, fallback) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v <= 0)
    throw new Error(`${name} must be a positive number, got ${process.env[name]}`);
  return v;
};
const list = (name, fallback) => (process.env[name] ?? fallback).split(',').filter(Boolean).map(Number);
const N = Math.round(num('BENCH_DEVICES', 50));
const SECONDS = num('BENCH_SECONDS', 60);
const RATE = num('BENCH_EVENTS_PER_S', 3);
const TELEMETRY_S = num('BENCH_TELEMETRY_S', 15);
const IN_PROCEDURE = Math.min(N, Math.round(Number(process.env.BENCH_IN_PROCEDURE ?? 10)));
const ROLLOUT_CANARY = Math.round(Number(process.env.BENCH_ROLLOUT_CANARY ?? 2));
const ROLLOUT_HOLD_S = num('BENCH_ROLLOUT_HOLD_S', 15);
const ROLLOUT_HEALTH = process.env.BENCH_ROLLOUT_HEALTH ?? 'shared';
if (!['shared', 'each'].includes(ROLLOUT_HEALTH))
  throw new Error(`BENCH_ROLLOUT_HEALTH must be shared or each, got ${ROLLOUT_HEALTH}`);
const ROLLOUT_INTERVAL_MS = process.env.BENCH_ROLLOUT_INTERVAL_MS;
const ROLLOUT_EXTRA_MB = Number(process.env.BENCH_ROLLOUT_EXTRA_MB ?? 0);
if (!(ROLLOUT_EXTRA_MB >= 0))
  throw new Error(`BENCH_ROLLOUT_EXTRA_MB must be 0 or more, got ${process.env.BENCH_ROLLOUT_EXTRA_MB}`);
const RAMP = list('BENCH_RAMP', '2,4');
const RAMP_RATES = list('BENCH_RAMP_RATES', '2,4');
const RAMP_SECONDS = num('BENCH_RAMP_SECONDS', 20);
const APPLIED = ['gic_hub_ingest_messages_total', { outcome: 'applied' }];

let hub;
const driver = new FleetDriver(TELEMETRY_S);
let cleaning;
/** Stops the boxes and the hub and removes its data folder, once, whatever ended the run. */
const cleanup = () => {
  cleaning ??= (async () => {
    driver.stop();
    await Promise.race([Promise.all(driver.devices.map((d) => d.stop())), wait(5000)]);
    await hub?.stop();
  })();
  return cleaning;
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(signal, () => {
    console.error(`\nfleet: ${signal}, cleaning up`);
    cleanup().finally(() => process.exit(130));
  });
// A throw in a timer (a simulated payload its schema refuses, say) must not leave the hub running.
for (const event of ['uncaughtException', 'unhandledRejection'])
  process.on(event, (err) => {
    console.error(`fleet: ${err?.stack ?? err}`);
    cleanup().finally(() => process.exit(1));
  });

console.log(
  `bench:fleet on ${cpus().length} cores (load average ${loadavg()[0].toFixed(1)} at start), Node ${process.version}`,
);
hub = await startHub(
  root,
  (line) => console.error(`fleet: ${line}`),
  ROLLOUT_INTERVAL_MS ? { GIC_ROLLOUT_INTERVAL_MS: ROLLOUT_INTERVAL_MS } : {},
);
try {
  let started = performance.now();
  await hub.ready();
  console.log(
    `hub ready in ${((performance.now() - started) / 1000).toFixed(1)} s (pid ${hub.pid}, ${hub.dataDir})`,
  );
  const api = await signIn(hub.httpUrl, hub.adminPassword);
  const selfTestDir = join(hub.dataDir, 'boxes');
  mkdirSync(selfTestDir);
  const health = new SharedHealthCheck({ each: ROLLOUT_HEALTH === 'each' });
  const selfTest = { dataDir: selfTestDir, db: openEdgeDatabase(join(selfTestDir, 'edge.db')), health };

  /** Enrols and connects `count` more boxes, all at once (as after a hub restart); prints the times. */
  const grow = async (count, label) => {
    started = performance.now();
    const enrolled = await inBatches(
      Array.from({ length: count }, (_, i) => i),
      8,
      (i) => api.enrol(`bench-box-${driver.devices.length + i}`),
    );
    const enrolSeconds = (performance.now() - started) / 1000;
    const boxes = enrolled.map((c) => new SimDevice(c, c.mqttUrl, selfTest));
    started = performance.now();
    const connectMs = await Promise.all(boxes.map((b) => b.connect()));
    const connectedSeconds = (performance.now() - started) / 1000;
    const ids = boxes.map((b) => b.deviceId);
    for (;;) {
      const { rows } = await hub.query(
        "SELECT count(*)::int AS n FROM devices WHERE id = ANY($1) AND status IN ('online', 'in-procedure')",
        [ids],
      );
      if (rows[0].n === count) break;
      if (performance.now() - started > 120_000)
        throw new Error(`only ${rows[0].n} of ${count} boxes online at the hub after 120 s`);
      await wait(20);
    }
    const onlineSeconds = (performance.now() - started) / 1000;
    driver.add(boxes);
    console.log(`\n${label}: ${count} boxes`);
    console.log(
      `  enrolment (token + enrol, 8 at a time): ${spread(enrolled.map((e) => e.enrolMs))}; all in ${enrolSeconds.toFixed(1)} s`,
    );
    console.log(`  MQTT connect (sign the JWT, CONNACK), all at once: ${spread(connectMs)}`);
    console.log(
      `  all connected in ${connectedSeconds.toFixed(2)} s; all online at the hub (retained status in PostgreSQL) in ${onlineSeconds.toFixed(2)} s`,
    );
    return boxes;
  };

  /** Runs the events of `boxes` at `rate` each for `seconds`, then waits for the hub to confirm all. */
  const eventPhase = async (boxes, rate, seconds) => {
    for (const d of driver.devices) d.takeLags();
    const t0 = driver.totals();
    const applied0 = await hub.metric(...APPLIED);
    const { rows: tel0 } = await hub.query('SELECT count(*)::int AS n FROM device_telemetry');
    const cpu0 = hub.cpu();
    const own0 = process.cpuUsage();
    const start = performance.now();
    driver.load(boxes, rate);
    const samples = [];
    while (performance.now() - start < seconds * 1000) {
      await wait(1000);
      samples.push(driver.totals());
    }
    driver.load([], 0);
    const elapsed = (performance.now() - start) / 1000;
    const cpu1 = hub.cpu();
    const own = process.cpuUsage(own0);
    const t1 = driver.totals();
    const applied1 = await hub.metric(...APPLIED);
    const { rows: tel1 } = await hub.query('SELECT count(*)::int AS n FROM device_telemetry');
    const drainStart = performance.now();
    while (driver.totals().pending > 0 && performance.now() - drainStart < 120_000) await wait(50);
    const drainSeconds = (performance.now() - drainStart) / 1000;
    const lags = driver.devices.flatMap((d) => d.takeLags());
    const offered = (t1.offered - t0.offered) / elapsed;
    const committed = (applied1 - applied0) / elapsed;
    // Steady state, past the step's start (new boxes, a queue filling): the second half's rates, and
    // whether the backlog still grew there by more than a second of events.
    const mid = samples[Math.floor(samples.length / 2)] ?? t0;
    const halfSeconds = (t1.at - mid.at) / 1000;
    const offered2 = (t1.offered - mid.offered) / halfSeconds;
    const acked2 = (t1.acked - mid.acked) / halfSeconds;
    const growing = t1.pending - mid.pending > offered2;
    return {
      boxes: boxes.length,
      rate,
      elapsed,
      offered,
      committed,
      lags,
      end: t1,
      drainSeconds,
      drained: driver.totals().pending === 0,
      telemetryRate: (tel1[0].n - tel0[0].n) / elapsed,
      cpu: cpuShare(cpu0, cpu1),
      benchCpu: (100 * (own.user + own.system)) / 1e6 / elapsed,
      resent: t1.resent - t0.resent,
      offered2,
      acked2,
      saturated: acked2 < 0.95 * offered2 || growing,
      growing,
    };
  };
  const ingestLines = (r) => [
    `  offered ${r.offered.toFixed(0)} events/s (${r.boxes} boxes x ${r.rate}/s); committed at the hub ${r.committed.toFixed(0)} events/s (${((100 * r.committed) / r.offered).toFixed(1)}%)`,
    `  publish -> ack: ${spread(r.lags)} over ${r.lags.length} events; resent ${r.resent}`,
    `  at the end: ${r.end.pending} events unacknowledged (oldest ${Math.round(r.end.oldestMs)} ms); all confirmed ${r.drainSeconds.toFixed(2)} s later${r.drained ? '' : ' (NOT drained in 120 s)'}`,
    `  second half (steady state): offered ${r.offered2.toFixed(0)}/s, confirmed to the boxes ${r.acked2.toFixed(0)}/s${r.growing ? '; backlog still growing' : ''}`,
    `  CPU (% of one core): hub ${r.cpu.hub.toFixed(0)}%, its PostgreSQL ${r.cpu.postgres.toFixed(0)}%, the simulated boxes (this process) ${r.benchCpu.toFixed(0)}%; the hub's main thread (its event loop) waited for a CPU ${r.cpu.hubWaited.toFixed(0)}% of the time; per committed event: hub ${perEvent(r.cpu.hub, r.committed)} ms, PostgreSQL ${perEvent(r.cpu.postgres, r.committed)} ms`,
  ];
  /** CPU ms per committed event, from a share (% of one core) and a rate (events/s). */
  const perEvent = (share, rate) => ((10 * share) / rate).toFixed(2);

  // 1. Connect.
  const fleet = await grow(N, 'Connect');
  driver.start();

  // 2. Event ingest and telemetry.
  const main = await eventPhase(fleet, RATE, SECONDS);
  console.log(
    `\nEvent ingest, ${SECONDS} s (procedures started, analysed at ${RATE} fps, ended; QoS 1, outbox resend)`,
  );
  for (const line of ingestLines(main)) console.log(line);
  console.log(
    `  telemetry written: ${main.telemetryRate.toFixed(2)} rows/s into device_telemetry (${N} boxes every ${TELEMETRY_S} s: ${(N / TELEMETRY_S).toFixed(2)} expected)`,
  );
  const deadLettered = await hub.metric('gic_hub_ingest_messages_total', { outcome: 'deadLettered' });
  const { rows: stored } = await hub.query('SELECT count(*)::int AS n FROM device_events');
  console.log(
    `  device_events holds ${stored[0].n} of the ${driver.totals().offered} events offered so far; dead-lettered ${deadLettered}`,
  );

  // 3. A self-test to every box, some in a procedure.
  const busy = fleet.slice(0, IN_PROCEDURE);
  for (const d of fleet.slice(IN_PROCEDURE)) d.endProcedure();
  for (const d of busy) d.holdProcedure();
  driver.load(busy, RATE);
  await wait(1000);
  const posted = new Map();
  started = performance.now();
  await Promise.all(
    fleet.map(async (d) => {
      const t = performance.now();
      const saved = await api.command(d.deviceId, 'self-test');
      posted.set(saved.id, { device: d, at: t, postMs: performance.now() - t });
    }),
  );
  const final = new Map();
  while (final.size < posted.size && performance.now() - started < 60_000) {
    const { rows } = await hub.query(
      "SELECT id, status, reason FROM device_commands WHERE id = ANY($1::uuid[]) AND status IN ('refused', 'succeeded', 'failed', 'expired')",
      [[...posted.keys()]],
    );
    const now = performance.now();
    for (const r of rows) if (!final.has(r.id)) final.set(r.id, { ...r, at: now });
    await wait(25);
  }
  driver.load([], 0);
  const outcomes = {};
  const toResult = [];
  const toAnswer = [];
  let wrong = 0;
  for (const [id, p] of posted) {
    const f = final.get(id);
    const key = f ? `${f.status}${f.reason ? ` (${f.reason})` : ''}` : 'no answer in 60 s';
    outcomes[key] = (outcomes[key] ?? 0) + 1;
    if (f) toResult.push(f.at - p.at);
    const answeredAt = p.device.answered.get(id);
    if (answeredAt) toAnswer.push(answeredAt - p.at);
    const expected = busy.includes(p.device) ? 'refused' : 'succeeded';
    if (f?.status !== expected) wrong++;
  }
  console.log(`\nSelf-test to all ${N} boxes through the API, ${IN_PROCEDURE} of them in a procedure`);
  console.log(`  POST answered: ${spread([...posted.values()].map((p) => p.postMs))}`);
  console.log(`  POST -> the box's final answer sent: ${spread(toAnswer)}`);
  console.log(`  POST -> final result in PostgreSQL (polled every 25 ms): ${spread(toResult)}`);
  console.log(
    `  outcomes: ${Object.entries(outcomes)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}; ${wrong === 0 ? 'each as expected' : `${wrong} NOT as expected`}`,
  );
  for (const d of busy) d.releaseProcedure();
  // The busy boxes' last frames confirmed before the ramp counts anything.
  for (let i = 0; i < 600 && driver.totals().pending > 0; i++) await wait(50);

  // 4. A model rollout to every box, some in a procedure.
  if (ROLLOUT_CANARY > 0) {
    const rollout = await runRollout({
      hub,
      api,
      fleet,
      driver,
      health,
      inProcedure: IN_PROCEDURE,
      canary: ROLLOUT_CANARY,
      holdSeconds: ROLLOUT_HOLD_S,
      rate: RATE,
      extraMiB: ROLLOUT_EXTRA_MB,
    });
    console.log(
      `\nModel rollout to all ${N} boxes through the API (canary ${ROLLOUT_CANARY}, then 100% of the rest), ${IN_PROCEDURE} of them in a procedure; the hub's driver looks every ${ROLLOUT_INTERVAL_MS ?? 2000} ms; the hub's view polled every 50 ms`,
    );
    for (const line of rolloutLines(rollout)) console.log(line);
    for (let i = 0; i < 600 && driver.totals().pending > 0; i++) await wait(50);
  }

  // 5. Ramp: more boxes, then more events per box, until one hub falls behind.
  console.log(
    `\nRamp, ${RAMP_SECONDS} s a step (saturated: in the step's second half, past the new boxes' arrival, confirmed < 95% of offered, or the backlog grew by over a second's events)`,
  );
  const steps = [
    ...RAMP.map((m) => ({ boxes: Math.round(N * m), rate: RATE })),
    ...RAMP_RATES.map((m) => ({ boxes: Math.round(N * Math.max(1, ...RAMP)), rate: RATE * m })),
  ];
  let limit;
  let last = main;
  const ramp = [];
  for (const step of steps) {
    if (step.boxes > driver.devices.length)
      await grow(step.boxes - driver.devices.length, `Ramp: ${step.boxes} boxes, connect the new ones`);
    const r = await eventPhase(driver.devices.slice(0, step.boxes), step.rate, RAMP_SECONDS);
    console.log(
      `\nStep: ${step.boxes} boxes x ${step.rate} events/s${r.saturated ? ` -> SATURATED${r.growing ? ' (backlog growing)' : ''}` : ''}`,
    );
    for (const line of ingestLines(r)) console.log(line);
    last = r;
    ramp.push(r);
    if (r.saturated) {
      limit = r;
      break;
    }
    if (r.benchCpu > 90)
      console.log('  (the simulated boxes use a whole core: they may be the limit here, not the hub)');
  }
  console.log(
    limit
      ? `\nOne hub process runs out at about ${limit.offered.toFixed(0)} events/s offered (${limit.boxes} boxes x ${limit.rate}/s): it committed ${limit.committed.toFixed(0)}/s, p95 ack lag ${Math.round(percentile(limit.lags, 95))} ms, hub CPU ${limit.cpu.hub.toFixed(0)}% + PostgreSQL ${limit.cpu.postgres.toFixed(0)}% of one core on ${cpus().length} cores.`
      : `\nOne hub process kept up at every step, the last ${last.offered.toFixed(0)} events/s offered (${last.boxes} boxes x ${last.rate}/s) at hub CPU ${last.cpu.hub.toFixed(0)}% + PostgreSQL ${last.cpu.postgres.toFixed(0)}% of one core: it runs out beyond that (BENCH_RAMP_RATES=8,16 goes further).`,
  );
  // Where the machine is shared, the hub may fall behind for want of CPU it was not given: its own cost
  // per event at the busiest step (fixed costs spread thinnest) says how far a core of its own carries it.
  const busiest = [main, ...ramp].reduce((a, b) => (b.committed > a.committed ? b : a));
  const hubMs = (10 * busiest.cpu.hub) / busiest.committed;
  const pgMs = (10 * busiest.cpu.postgres) / busiest.committed;
  console.log(
    `At the busiest step's cost (${busiest.committed.toFixed(0)} events/s: hub ${hubMs.toFixed(2)} ms, PostgreSQL ${pgMs.toFixed(2)} ms of CPU per event, telemetry, status and HTTP included), a hub process with a core of its own would carry about ${Math.round(1000 / hubMs)} events/s (${Math.round(1000 / hubMs / RATE)} boxes at ${RATE}/s), its PostgreSQL then needing ${Math.round((pgMs / hubMs) * 100)}% of another core.`,
  );
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
} catch (err) {
  console.error(`fleet: ${err.stack ?? err}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
process.exit(process.exitCode ?? 0);

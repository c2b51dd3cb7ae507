// The fleet benchmark's model rollout: a model version generated in code uploaded to the hub (its
// manifest, then its file), rolled out through the API to every box (a canary group, then 100% of the
// rest), some boxes in a procedure as their install arrives: they download it, defer the switch, and
// finish once their procedures end. The hub's view is read from its rollout_devices table (as the
// self-test reads device_commands); the boxes' from their own answers and downloads.
import { cpus } from 'node:os';
import { cpuShare } from '../hub-under-test.mjs';
import { spread, wait } from './figures.mjs';
import { rolloutModel } from './sim-model.mjs';

const VERSION = '2.0.0';
const TIMEOUT_MS = 600_000;
const DONE = new Set(['healthy', 'failed']);
/** What a 1 Gbit/s link carries (MiB/s). */
const GIGABIT_MIB_S = Math.round(1e9 / 8 / 1024 ** 2);

/**
 * Runs the rollout and returns its figures.
 * @param {object} o
 * @param {object} o.hub the hub under test (bench/hub-under-test.mjs)
 * @param {object} o.api the signed-in API (hub-api.mjs)
 * @param {import('./sim-device.mjs').SimDevice[]} o.fleet every box the hub knows (the rollout takes all)
 * @param {import('./fleet-driver.mjs').FleetDriver} o.driver paces the busy boxes' events
 * @param {import('./sim-model.mjs').SharedHealthCheck} o.health the boxes' health check
 * @param {number} o.inProcedure boxes in a procedure as their install arrives (taken outside the canary group)
 * @param {number} o.canary the canary group's size
 * @param {number} o.holdSeconds the procedures end this long after the rollout starts (or once every
 *   other box has finished and the busy ones are deferred, if that is later)
 * @param {number} o.rate events a second of a box in a procedure
 * @param {number} o.extraMiB the size of a second file in the model (0: none)
 */
export async function runRollout({
  hub,
  api,
  fleet,
  driver,
  health,
  inProcedure,
  canary,
  holdSeconds,
  rate,
  extraMiB = 0,
}) {
  // A clean start: no procedure running, every box on tiny-polyp 1.0.0.
  for (const d of fleet) {
    d.endProcedure();
    d.installFirstModel();
  }
  for (let i = 0; i < 600 && driver.totals().pending > 0; i++) await wait(50);

  const model = rolloutModel(VERSION, extraMiB);
  const t = performance.now();
  await api.uploadModel(model.manifest, model.files);
  const uploadMs = performance.now() - t;

  const cpu0 = hub.cpu();
  const own0 = process.cpuUsage();
  const started = performance.now();
  const created = await api.rollout({
    modelId: model.manifest.id,
    version: VERSION,
    canary,
    percent: 100,
    maxFailures: Math.max(1, fleet.length),
  });
  const postMs = performance.now() - started;
  const stageOf = new Map(created.devices.map((d) => [d.deviceId, d.stage]));
  // The boxes in a procedure: outside the canary group (a canary in a procedure holds the whole
  // rollout until it ends), their procedures started now, long before the hub's driver reaches the
  // percent stage (it sends that stage's installs only once the canaries report healthy).
  const busy = fleet.filter((d) => stageOf.get(d.deviceId) === 'percent').slice(0, inProcedure);
  for (const d of busy) d.holdProcedure();
  driver.load(busy, rate);
  const isBusy = new Set(busy.map((d) => d.deviceId));

  /** deviceId -> { stage, state, reason, commandId, at: { state: first seen (performance.now()) } } */
  const seen = new Map();
  let status;
  let canaryAt;
  let othersAt;
  let endedAt;
  let allAt;
  // The hub's CPU about once a second, for its share while a stage's downloads ran.
  const cpuSamples = [cpu0];
  for (;;) {
    const now = performance.now();
    if (now - cpuSamples.at(-1).at >= 1000) cpuSamples.push(hub.cpu());
    const { rows } = await hub.query(
      `SELECT device_id AS "deviceId", stage, state, reason, command_id AS "commandId"
         FROM rollout_devices WHERE rollout_id = $1`,
      [created.id],
    );
    ({
      rows: [status],
    } = await hub.query('SELECT status, stage, reason FROM rollouts WHERE id = $1', [created.id]));
    for (const r of rows) {
      const s = seen.get(r.deviceId) ?? { at: {} };
      Object.assign(s, r);
      s.at[r.state] ??= now;
      seen.set(r.deviceId, s);
    }
    const all = [...seen.values()];
    const canaries = all.filter((s) => s.stage === 'canary');
    const others = all.filter((s) => !isBusy.has(s.deviceId));
    const busyRows = all.filter((s) => isBusy.has(s.deviceId));
    if (!canaryAt && canaries.every((s) => DONE.has(s.state))) canaryAt = now;
    if (!othersAt && others.every((s) => DONE.has(s.state))) othersAt = now;
    const busyWaiting = busyRows.every((s) => s.at.deferred || DONE.has(s.state));
    if (
      !endedAt &&
      ((othersAt && busyWaiting && now - started >= holdSeconds * 1000) || now - started > TIMEOUT_MS / 2)
    ) {
      for (const d of busy) d.endProcedure();
      driver.load([], 0);
      endedAt = performance.now();
    }
    if (endedAt && !allAt && all.every((s) => DONE.has(s.state))) allAt = now;
    if ((allAt && status.status !== 'running') || status.status === 'aborted') break;
    if (now - started > TIMEOUT_MS) break;
    await wait(50);
  }
  const cpu1 = hub.cpu();
  cpuSamples.push(cpu1);
  const own = process.cpuUsage(own0);
  const elapsed = (performance.now() - started) / 1000;
  driver.load([], 0);

  // The boxes' side: when each sent its final answer, what its runner said, and its downloads.
  const boxes = fleet.map((d) => {
    const s = seen.get(d.deviceId);
    const result = s?.commandId ? d.ledger.lastResult(s.commandId) : undefined;
    return {
      busy: isBusy.has(d.deviceId),
      stage: s?.stage,
      hub: s,
      answeredAt: s?.commandId ? d.answered.get(s.commandId) : undefined,
      result,
      downloads: d.downloads.filter((x) => x.startedAt >= started),
    };
  });
  const downloads = boxes.flatMap((b) => b.downloads);
  const from = (at, list) => list.filter((x) => x !== undefined).map((x) => x - at);
  return {
    boxes: fleet.length,
    modelBytes: model.bytes,
    modelFiles: model.manifest.files.length,
    uploadMs,
    postMs,
    canary: boxes.filter((b) => b.stage === 'canary').length,
    busy: busy.length,
    status,
    elapsed,
    holdSeconds,
    canaryMs: canaryAt && canaryAt - started,
    othersMs: othersAt && othersAt - started,
    endedMs: endedAt && endedAt - started,
    allAfterEndMs: allAt && endedAt && allAt - endedAt,
    // Box side: rollout start -> the box's final answer sent (non-deferred), procedure end -> answer (deferred).
    othersAnswer: from(
      started,
      boxes.filter((b) => !b.busy).map((b) => b.answeredAt),
    ),
    busyAnswer: endedAt
      ? from(
          endedAt,
          boxes.filter((b) => b.busy).map((b) => b.answeredAt),
        )
      : [],
    deferredAtHub: boxes.filter((b) => b.hub?.at.deferred).length,
    deferredBusy: boxes.filter((b) => b.busy && b.hub?.at.deferred).length,
    deferredMs: boxes
      .filter((b) => b.busy)
      .map((b) => b.result?.detail?.deferredMs)
      .filter(Number.isFinite),
    // The edge's stepsMs: stageAndSwitch holds a deferred box's wait, so it is taken from the others.
    stageAndSwitch: boxes
      .filter((b) => !b.busy)
      .map((b) => b.result?.detail?.stepsMs?.stageAndSwitch)
      .filter(Number.isFinite),
    healthMs: boxes.map((b) => b.result?.detail?.stepsMs?.health).filter(Number.isFinite),
    latencyMs: boxes.map((b) => b.result?.detail?.latencyMs).filter(Number.isFinite),
    states: count(boxes.map((b) => b.hub?.state ?? 'not in the rollout')),
    failures: boxes
      .filter((b) => b.hub?.state === 'failed' || (b.hub && !DONE.has(b.hub.state)))
      .map((b) => `${b.hub.deviceId}: ${b.hub.state}${b.hub.reason ? ` (${b.hub.reason})` : ''}`),
    wrongDeferral: boxes.filter((b) => b.busy !== Boolean(b.hub?.at.deferred)).length,
    downloads: {
      ms: downloads.map((x) => x.endedAt - x.startedAt),
      notOk: downloads.filter((x) => x.status !== 200).length,
      stages: ['canary', 'percent'].map((stage) =>
        served(
          stage,
          boxes.filter((b) => b.stage === stage),
          cpuSamples,
        ),
      ),
    },
    health: {
      real: health.real,
      reused: health.reused,
      runs: health.runs.map((r) => r.ms),
      each: health.each,
    },
    cpu: cpuShare(cpu0, cpu1),
    benchCpu: (100 * (own.user + own.system)) / 1e6 / elapsed,
  };
}

/**
 * A stage's downloads: its boxes, their bytes, the time from the first request to the last byte, and
 * the hub's CPU between the samples just around that time (undefined when none fall around it).
 */
function served(stage, boxes, cpuSamples) {
  const downloads = boxes.flatMap((b) => b.downloads);
  if (downloads.length === 0) return { stage, count: boxes.length, bytes: 0, windowMs: 0 };
  const from = Math.min(...downloads.map((x) => x.startedAt));
  const to = Math.max(...downloads.map((x) => x.endedAt));
  const before = cpuSamples.findLast((c) => c.at <= from);
  const after = cpuSamples.find((c) => c.at >= to);
  return {
    stage,
    count: boxes.length,
    bytes: downloads.reduce((n, x) => n + x.bytes, 0),
    windowMs: to - from,
    cpu: before && after ? { ...cpuShare(before, after), seconds: (after.at - before.at) / 1000 } : undefined,
  };
}

function count(values) {
  const out = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

const seconds = (ms) => (ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`);
const rateOf = (bytes, ms) => (ms > 0 ? `${(((bytes / ms) * 1000) / 1024 ** 2).toFixed(1)} MiB/s` : '-');

/**
 * What serving a MiB cost the hub at the busiest stage (its CPU over the samples around the downloads,
 * so an upper bound), and how far a core of its own would carry it.
 */
function servedCost(stage) {
  if (!stage?.cpu || stage.bytes === 0) return [];
  // Below that, the hub's CPU for everything else (telemetry, status, the rollout's own passes) swamps it.
  if (stage.cpu.seconds < 5 || stage.bytes < 100 * 1024 ** 2)
    return [
      '  too little served to cost a MiB at the hub (BENCH_ROLLOUT_EXTRA_MB=50 weighs the downloads as a real model does)',
    ];
  const mib = stage.bytes / 1024 ** 2;
  const msPerMiB = (10 * stage.cpu.hub * stage.cpu.seconds) / mib;
  return [
    `  serving them cost the hub at most ${msPerMiB.toFixed(1)} ms of CPU a MiB (its main thread waited for a CPU ${stage.cpu.hubWaited.toFixed(0)}% of the time): a hub process with a core of its own would serve about ${Math.round(1000 / msPerMiB)} MiB/s (${1000 / msPerMiB > GIGABIT_MIB_S ? 'more' : 'less'} than a 1 Gbit/s link carries, about ${GIGABIT_MIB_S} MiB/s)`,
  ];
}

/** The rollout's printed lines. */
export function rolloutLines(r) {
  const d = r.downloads;
  return [
    `  model: tiny-polyp ${VERSION} generated in code, ${r.modelFiles === 1 ? 'one file' : `${r.modelFiles} files`} of ${(r.modelBytes / 1024 ** 2).toFixed(2)} MiB${r.modelFiles > 1 ? ' in all' : ''}; uploaded (POST the manifest, PUT each file) in ${Math.round(r.uploadMs)} ms; POST /rollouts answered in ${Math.round(r.postMs)} ms`,
    `  rollout start -> canary group (${r.canary}) healthy at the hub: ${seconds(r.canaryMs)}`,
    `  rollout start -> all ${r.boxes - r.busy} not in a procedure healthy at the hub: ${seconds(r.othersMs)} (their final answer sent: ${spread(r.othersAnswer)})`,
    `  deferred: ${r.deferredAtHub} at the hub (${r.deferredBusy} of the ${r.busy} in a procedure); procedures ended ${seconds(r.endedMs)} after the start (set: ${r.holdSeconds} s, or once the rest were done)`,
    `  procedures' end -> all ${r.boxes} healthy at the hub: ${seconds(r.allAfterEndMs)} (the deferred boxes' final answer sent: ${spread(r.busyAnswer)}; they waited ${spread(r.deferredMs)} for their procedure)`,
    `  rollout ${r.status.status} (stage ${r.status.stage}${r.status.reason ? `, ${r.status.reason}` : ''}) after ${r.elapsed.toFixed(1)} s; states: ${Object.entries(
      r.states,
    )
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}`,
    `  downloads (presigned URL to the hub's object store, SHA-256 checked on each box): each file ${spread(d.ms)}${d.notOk ? `; ${d.notOk} NOT answered 200` : ''}; served by the hub ${d.stages
      .map(
        (s) =>
          `${s.stage} stage ${s.count} boxes x ${(s.bytes / Math.max(1, s.count) / 1024 ** 2).toFixed(2)} MiB in ${Math.round(s.windowMs)} ms (first request to last byte): ${rateOf(s.bytes, s.windowMs)}${s.cpu ? ` (hub CPU ${s.cpu.hub.toFixed(0)}% of one core over the ${s.cpu.seconds.toFixed(1)} s around it)` : ''}`,
      )
      .join('; ')}`,
    ...servedCost(d.stages.find((s) => s.stage === 'percent')),
    `  on each box (the edge's runner): download and switch (not deferred) ${spread(r.stageAndSwitch)}, health check ${spread(r.healthMs)}, reference frame ${spread(r.latencyMs)}`,
    `  health checks: ${r.health.each ? `${r.health.real} real, one per box` : `${r.health.real} real (ONNX Runtime load and two reference-frame runs, ${spread(r.health.runs)}), ${r.health.reused} boxes took its result after waiting as long (simulated: BENCH_ROLLOUT_HEALTH=each runs one per box)`}; the analyzer reload after a healthy check is not simulated`,
    `  CPU (% of one core) over the rollout: hub ${r.cpu.hub.toFixed(0)}%, its PostgreSQL ${r.cpu.postgres.toFixed(0)}%, the simulated boxes ${r.benchCpu.toFixed(0)}% on ${cpus().length} cores`,
    `  failures: ${r.failures.length === 0 ? 'none' : r.failures.join('; ')}; ${r.wrongDeferral === 0 ? 'deferred exactly the boxes in a procedure' : `${r.wrongDeferral} boxes deferred NOT as expected`}`,
  ];
}

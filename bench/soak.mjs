#!/usr/bin/env node
// Soak benchmark (npm run bench:soak): runs the edge, started as a user starts it, through many
// capture pipeline rebuilds with recording segments (a one-second file played in a loop: every loop
// builds the pipeline anew) and through source losses (a real RTSP camera killed and restarted, the
// edge retrying with backoff), and prints the edge's descriptors, threads and resident memory after
// warm-up and at the end of each phase. The goal: flat after warm-up.
//   BENCH_REBUILDS (300)  pipeline rebuilds of the looping file
//   BENCH_LOSSES (20)     RTSP camera losses
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import { procStats } from '@gic/shared/process/proc-stats.js';

const root = resolve(import.meta.dirname, '..');
const dir = join(root, '.gic/bench/soak');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const REBUILDS = Number(process.env.BENCH_REBUILDS ?? 300);
const LOSSES = Number(process.env.BENCH_LOSSES ?? 20);
const WARM_UP = 20;

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await wait(100);
  }
}

/** The edge as a user starts it: `node edge/dist/main.js` from the checkout, a clean environment. */
function startEdge(name, env) {
  const child = spawn(process.execPath, ['edge/dist/main.js'], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const edge = { child, runs: 0, port: Number(env.GIC_EDGE_PORT) };
  let rest = '';
  child.stdout.on('data', (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop();
    for (const line of lines) if (line.includes('"capture run ended"')) edge.runs++;
  });
  child.on('exit', (code, signal) => {
    if (!edge.stopping) console.error(`soak: the ${name} edge exited (${code ?? signal})`);
  });
  return edge;
}
async function stopEdge(edge) {
  edge.stopping = true;
  const gone = new Promise((r) => edge.child.once('exit', r));
  edge.child.kill('SIGINT');
  await gone;
}
const row = (label, s, base) =>
  `${label.padEnd(34)} ${String(s.fds).padStart(5)} ${String(s.threads).padStart(8)} ${String(s.rssMiB).padStart(9)}` +
  (base
    ? `   (${s.fds - base.fds >= 0 ? '+' : ''}${s.fds - base.fds} fds, ${s.threads - base.threads >= 0 ? '+' : ''}${s.threads - base.threads} threads, ${s.rssMiB - base.rssMiB >= 0 ? '+' : ''}${s.rssMiB - base.rssMiB} MiB)`
    : '');
const header = `${'edge'.padEnd(34)} ${'fds'.padStart(5)} ${'threads'.padStart(8)} ${'RSS (MiB)'.padStart(9)}`;

// Phase 1: pipeline rebuilds and segment rotations.
const clip = join(dir, 'one-second.mp4');
await generateSampleVideo(clip, { seconds: 1 });
const looping = startEdge('looping', {
  GIC_SOURCE: `file:${clip}`,
  GIC_SOURCE_LOOP: 'true',
  GIC_EDGE_PORT: String(await freePort()),
  GIC_EDGE_DATA_DIR: join(dir, 'edge-loop'),
  GIC_HUB_URL: 'http://127.0.0.1:9',
  GIC_RECORDING_SEGMENT_S: '5',
});
const started = Date.now();
await until(`${WARM_UP} rebuilds`, () => looping.runs >= WARM_UP, 300_000);
const warm = procStats(looping.child.pid);
console.log(
  `\nsoak, phase 1: ${REBUILDS} capture pipeline rebuilds (a 1 s file in a loop, each run its own segment)`,
);
console.log(header);
console.log(row(`after ${WARM_UP} rebuilds (warm)`, warm));
for (let at = 100; at <= REBUILDS; at += 100) {
  await until(`${at} rebuilds`, () => looping.runs >= at, 1_800_000);
  console.log(row(`after ${at} rebuilds`, procStats(looping.child.pid), warm));
}
const loopEnd = procStats(looping.child.pid);
console.log(`${looping.runs} rebuilds in ${((Date.now() - started) / 1000).toFixed(0)} s`);
await stopEdge(looping);

// Phase 2: source losses.
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const script = join(root, 'edge/src/capture/testing/rtsp-server.py');
const rtspPort = await freePort();
const startCamera = async () => {
  const camera = spawn(python, [script, String(rtspPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    camera.stdout.on('data', (d) => String(d).includes('ready') && resolve());
    camera.once('exit', (code) =>
      reject(new Error(`RTSP camera exited (${code}); needs scripts/setup.sh test`)),
    );
  });
  camera.removeAllListeners('exit');
  return camera;
};
let camera = await startCamera();
const edgePort = await freePort();
const rtsp = startEdge('RTSP', {
  GIC_SOURCE: `rtsp://127.0.0.1:${rtspPort}/test`,
  GIC_EDGE_PORT: String(edgePort),
  GIC_EDGE_DATA_DIR: join(dir, 'edge-rtsp'),
  GIC_HUB_URL: 'http://127.0.0.1:9',
  GIC_RECORDING_SEGMENT_S: '5',
});
const sourceState = async () =>
  (
    await (
      await fetch(`http://127.0.0.1:${edgePort}/api/v1/realtime/analysis`).catch(() => undefined)
    )?.json()
  )?.source?.state;
await until('the RTSP source live', async () => (await sourceState()) === 'live', 60_000);
const before = procStats(rtsp.child.pid);
console.log(`\nsoak, phase 2: ${LOSSES} losses of an RTSP camera (killed, retried with backoff, back)`);
console.log(header);
console.log(row('live, before the first loss', before));
for (let i = 1; i <= LOSSES; i++) {
  camera.kill('SIGKILL');
  await until('no signal', async () => (await sourceState()) === 'no-signal', 60_000);
  await wait(3000); // retries against a dead camera build and fail pipelines too
  camera = await startCamera();
  await until('live again', async () => (await sourceState()) === 'live', 120_000);
  if (i % 5 === 0 || i === LOSSES) console.log(row(`after ${i} losses`, procStats(rtsp.child.pid), before));
}
await stopEdge(rtsp);
camera.kill('SIGKILL');
console.log(
  `\nphase 1 growth after warm-up: ${loopEnd.fds - warm.fds} fds, ${loopEnd.threads - warm.threads} threads, ${loopEnd.rssMiB - warm.rssMiB} MiB over ${REBUILDS - WARM_UP} rebuilds`,
);

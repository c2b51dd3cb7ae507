#!/usr/bin/env node
// Edge pipeline benchmark (npm run bench:edge). Prints, for 720p and 1080p input:
//  - per-frame latency from the analysis appsink to the WebSocket message arriving at a connected
//    screen, through the whole edge replaying a longer clip at its own pace, analysed at a fixed
//    BENCH_LIVE_FPS so a run holds at least 300 frames (p50, p95, p99, max);
//  - the highest sustained analysis rate (every frame analysed, as fast as this machine allows);
//  - that pipeline's throughput as a ratio to bare GStreamer decode + scale of the same file,
//    measured in the same run;
//  - for the live run, where each frame's time went, stage by stage (edge/src/live/frame-stages.ts:
//    queue wait, copy and hand-over to the analysis thread, each model's tensor prep, inference and
//    boxes, text lines, recorder mask, SQLite, live state and WebSocket send, delivery), median and
//    p95, for all frames and split by full and light text scans; the end-to-end latency split the
//    same way; and which scan and stages the frames at the p95 and above carry;
//  - analysis throughput of decoded frames at batch 1 against batch 4 (FrameAnalyzer.analyseBatch).
// Options (environment): BENCH_SECONDS (10), BENCH_RUNS (3: baseline runs, median taken; 0: the
// live run alone),
// BENCH_LIVE_SECONDS (65: the live clip), BENCH_LIVE_FPS (5: its analysis rate), BENCH_MODELS
// (pp-ocrv4-det: the models the live edge loads, comma separated; the edge's default is
// pp-ocrv4-det,pp-ocrv4-rec,blazeface-front), BENCH_SIZES (720p,1080p).
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { CapturePipeline } from '@gic/edge/capture/capture-pipeline.js';
import { loadEdgeConfig } from '@gic/edge/config.js';
import { startEdge } from '@gic/edge/edge-process.js';
import { FRAME_STAGES_CHANNEL } from '@gic/edge/live/frame-stages.js';
import { loadFrameAnalyzer } from '@gic/shared/analysis/load-analyzer.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { readFileFrames } from '@gic/shared/media/file-frames.js';
import { gst } from '@gic/shared/media/gst.js';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import { WebSocket } from 'ws';

const root = resolve(import.meta.dirname, '..');
const dir = join(root, '.gic/bench');
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const liveSeconds = Number(process.env.BENCH_LIVE_SECONDS ?? 65);
const liveFps = Number(process.env.BENCH_LIVE_FPS ?? 5);
const liveModels = process.env.BENCH_MODELS ?? 'pp-ocrv4-det';
const sizes = (process.env.BENCH_SIZES ?? '720p,1080p').split(',');
const log = createLogger('bench', 'warn');
mkdirSync(dir, { recursive: true });

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const median = (values) => percentile(values, 50);
const ms = (v) => `${v.toFixed(1)} ms`;
const load = () =>
  `load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
const spread = (values) =>
  `p50 ${ms(percentile(values, 50))}, p95 ${ms(percentile(values, 95))}, p99 ${ms(percentile(values, 99))}, max ${ms(Math.max(...values))}`;

/** Bare decode + scale to the analysis size, to end of stream: frames per second of wall time. */
function bareDecode(path, size, frames) {
  return new Promise((resolveRun, reject) => {
    const pipeline = new (gst().Pipeline)(
      `filesrc location="${path}" ! qtdemux ! h264parse ! avdec_h264 ! videoconvert ! videoscale ! video/x-raw,format=RGB,width=${size.width},height=${size.height} ! fakesink sync=false`,
    );
    const started = performance.now();
    pipeline.pollBus((m) => {
      if (m.type === 'eos' || m.type === 'error') {
        pipeline.stop();
        if (m.type === 'error') reject(new Error(m.message));
        else resolveRun(frames / ((performance.now() - started) / 1000));
      }
    });
    pipeline.play();
  });
}

/** Our pipeline, analysing every frame as fast as it can (no recorder, no pacing). */
function analyseAll(path, size, fps, analyzer) {
  return new Promise((resolveRun) => {
    let frames = 0;
    const started = performance.now();
    const capture = new CapturePipeline(
      { source: { kind: 'file', path, loop: false }, realtime: false, analysis: { ...size, fps }, masks: [] },
      {
        onFrame: async (frame) => {
          await analyzer.analyse(frame);
          frames++;
        },
        onEnd: () => resolveRun({ frames, fps: frames / ((performance.now() - started) / 1000) }),
      },
    );
    capture.start();
  });
}

/** Analysis alone, frames already decoded, `batch` frames a call: frames per second of wall time. */
async function batchThroughput(frames, batch, analyzer) {
  const started = performance.now();
  for (let i = 0; i < frames.length; i += batch) await analyzer.analyseBatch(frames.slice(i, i + batch));
  return frames.length / ((performance.now() - started) / 1000);
}

/**
 * The whole edge, as a room runs it: the clip replayed at its own pace (recorder, preview, adaptive
 * sampling at 2-5 fps, batching, procedure control, SQLite and outbox writes, no hub reachable), and a
 * screen connected by WebSocket. Latency of each analysed frame: from the appsink handing it over
 * (`latestCapturedAt`, stamped by the edge) to its message arriving at the screen; and each frame's
 * stage times (see frame-stages.ts), with `delivery` (the send to the screen's message handler) added.
 */
async function liveLatency(path, label) {
  const stagesByFrame = new Map();
  const onStages = (m) => stagesByFrame.set(m.frameIndex, m);
  subscribe(FRAME_STAGES_CHANNEL, onStages);
  const edgeDir = join(dir, `edge-${label}-${Date.now()}`);
  const edge = await startEdge(
    loadEdgeConfig({
      GIC_EDGE_DATA_DIR: edgeDir,
      GIC_EDGE_PORT: '0',
      GIC_HUB_URL: 'http://127.0.0.1:9', // nothing there: the room works offline
      GIC_ENROLMENT_TOKEN: `gic-enrol-${'A'.repeat(43)}`,
      GIC_SOURCE: `file:${path}`,
      GIC_REPLAY_REALTIME: 'true',
      // A fixed rate, so that the run holds liveSeconds x liveFps frames whatever the motion.
      GIC_ANALYSIS_FPS: String(liveFps),
      GIC_ANALYSIS_MIN_FPS: String(liveFps),
      GIC_MODELS_DIR: join(root, 'models'),
      GIC_MODELS: liveModels,
      GIC_PRIVACY_MASKS: JSON.stringify([{ x: 0, y: 0, w: 1, h: 0.14 }]),
      GIC_PROCEDURE_AUTO_START_S: '1',
      GIC_LOG_LEVEL: 'fatal',
    }),
    createLogger('bench-edge', 'fatal'),
  );
  const socket = new WebSocket(`${edge.httpUrl.replace('http', 'ws')}/api/v1/realtime/ws`);
  const latencies = [];
  const frames = [];
  let last = -1;
  socket.on('message', (data) => {
    const receivedAt = performance.now();
    const state = JSON.parse(String(data));
    const index = state.latest?.frameIndex;
    if (index === undefined || index === last || !state.latestCapturedAt) return;
    last = index;
    const latency = Date.now() - state.latestCapturedAt;
    latencies.push(latency);
    const staged = stagesByFrame.get(index);
    stagesByFrame.delete(index);
    if (staged) {
      frames.push({
        latency,
        scan: staged.scan,
        batch: staged.batch,
        bytes: data.length,
        stages: {
          ...staged.stages,
          delivery: receivedAt - staged.pushedAt - (staged.stages['after-push'] ?? 0),
        },
      });
    }
  });
  await edge.sourceEnded;
  await new Promise((r) => setTimeout(r, 200));
  unsubscribe(FRAME_STAGES_CHANNEL, onStages);
  socket.close();
  await edge.stop();
  rmSync(edgeDir, { recursive: true, force: true });
  return { latencies, frames };
}

/** Stage names as printed, in path order; `thread` is the analysis thread's total, shown apart. */
const STAGE_LABELS = {
  wait: 'wait: queued behind the running batch',
  copy: 'copy of the frame for the analysis thread',
  picture: 'picture: field of view, colour, quality',
  'text-full.tensor': 'text full scan: scale + tensor',
  'text-full.inference': 'text full scan: inference',
  'text-full.boxes': 'text full scan: map -> boxes',
  'text-light.tensor': 'text light scan: scale + tensor',
  'text-light.inference': 'text light scan: inference',
  'text-light.boxes': 'text light scan: map -> boxes',
  faces: 'faces (tensor + inference)',
  polyps: 'polyps (tensor + inference)',
  'text-lines': 'text lines (join, grow, recogniser)',
  result: 'analysis objects built',
  'thread-other': 'analysis thread, other (event loop)',
  'hand-over': 'hand-over: thread messages, result back',
  'batch-mates': 'earlier frames of the batch handled',
  mask: 'recorder mask decided + set',
  layout: 'learned layout observed',
  store: 'procedure control, SQLite + outbox',
  alerts: 'alert tracking',
  push: 'live state + JSON + WebSocket send',
  'after-push': 'after the send: thumbnails, VLM offer',
  delivery: 'delivery: event loop -> screen handler',
};

const MAIN_THREAD_STAGES = [
  'wait',
  'copy',
  'hand-over',
  'batch-mates',
  'mask',
  'layout',
  'store',
  'alerts',
  'push',
  'after-push',
  'delivery',
];

/** A frame's stages, `thread` (the analysis thread's total) replaced by what its own stages leave of it. */
function stageEntries(f) {
  const own = Object.entries(f.stages).filter(([k]) => k !== 'thread' && k in STAGE_LABELS);
  const onThread = own.filter(([k]) => !MAIN_THREAD_STAGES.includes(k));
  return [...own, ['thread-other', (f.stages.thread ?? 0) - onThread.reduce((a, [, v]) => a + v, 0)]];
}

/** Median and p95 (ms) of each stage over the frames where it ran; `of`: how many frames that was. */
function stageStats(frames) {
  const by = new Map();
  for (const f of frames) for (const [k, v] of stageEntries(f)) by.set(k, [...(by.get(k) ?? []), v]);
  const stats = {};
  for (const k of Object.keys(STAGE_LABELS)) {
    const values = by.get(k);
    if (values) stats[k] = { p50: percentile(values, 50), p95: percentile(values, 95), n: values.length };
  }
  return stats;
}

/** The live run's stage split and its latency by scan, and what the frames at the p95 and above carry. */
function printStages(latencies, frames) {
  const groups = [
    ['all', frames],
    ['full scan', frames.filter((f) => f.scan === 'full')],
    ['light scan', frames.filter((f) => f.scan === 'light')],
  ].filter(([, g]) => g.length > 0);
  const stats = groups.map(([, g]) => stageStats(g));
  const cell = (s) =>
    s
      ? `${s.p50.toFixed(1).padStart(6)} ${s.p95.toFixed(1).padStart(6)}`
      : `${'-'.padStart(6)} ${'-'.padStart(6)}`;
  console.log(
    `  where a frame's time goes (ms a frame, median and p95 over the frames where the stage ran; batch stages count once for each frame of the batch):`,
  );
  console.log(
    `    ${''.padEnd(42)}${groups.map(([name, g]) => `${`${name} (${g.length})`.padStart(14)}`).join(' ')}`,
  );
  for (const [k, label] of Object.entries(STAGE_LABELS)) {
    if (stats.every((s) => !s[k])) continue;
    console.log(`    ${label.padEnd(42)}${stats.map((s) => cell(s[k])).join(' ')}`);
  }
  const sums = frames.map((f) => stageEntries(f).reduce((a, [, v]) => a + v, 0));
  console.log(
    `    ${'sum of stages'.padEnd(42)}${groups
      .map(([, g]) =>
        cell({
          p50: median(g.map((f) => sums[frames.indexOf(f)])),
          p95: percentile(
            g.map((f) => sums[frames.indexOf(f)]),
            95,
          ),
        }),
      )
      .join(' ')}`,
  );
  console.log(
    `    JSON pushed a frame: ${(median(frames.map((f) => f.bytes)) / 1024).toFixed(1)} KiB median; batches of ${[1, 2, 3, 4].map((b) => `${b}: ${frames.filter((f) => f.batch === b).length}`).join(', ')} frames`,
  );
  for (const [name, g] of groups.slice(1)) {
    console.log(
      `  appsink -> WebSocket, ${name.padEnd(10)} frames: ${spread(g.map((f) => f.latency))} (${g.length} frames)`,
    );
  }
  const p95 = percentile(latencies, 95);
  const tail = frames.filter((f) => f.latency >= p95);
  const tailStats = stageStats(tail);
  const largest = Object.entries(tailStats)
    .sort(([, a], [, b]) => b.p50 - a.p50)
    .slice(0, 4)
    .map(([k, s]) => `${k} ${s.p50.toFixed(0)} ms`);
  console.log(
    `  at or above the p95 (${ms(p95)}): ${tail.length} frames, ${tail.filter((f) => f.scan === 'full').length} full-scan, ${tail.filter((f) => f.scan === 'light').length} light-scan; their largest stages (median): ${largest.join(', ')}`,
  );
}

const { analyzer, size } = await loadFrameAnalyzer(join(root, 'models'), ['pp-ocrv4-det'], log);
console.log(
  `GI Copilot edge pipeline benchmark: ${seconds} s clips, models ${analyzer.models.map((m) => `${m.id} [${m.executionProvider}]`).join(', ')}, analysis ${size.width}x${size.height}`,
);
for (const [label, width, height] of [
  ['720p', 1280, 720],
  ['1080p', 1920, 1080],
].filter(([l]) => sizes.includes(l))) {
  const path = join(dir, `clip-${label}-${seconds}s.mp4`);
  if (!existsSync(path)) await generateSampleVideo(path, { seconds, width, height, fps: 30 });
  const frames = seconds * 30;
  const baseline = [];
  for (let i = 0; i < runs; i++) baseline.push(await bareDecode(path, size, frames));
  const pipeline = [];
  for (let i = 0; i < runs; i++) pipeline.push((await analyseAll(path, size, 30, analyzer)).fps);
  const livePath = join(dir, `clip-${label}-live-${liveSeconds}s.mp4`);
  if (!existsSync(livePath))
    await generateSampleVideo(livePath, { seconds: liveSeconds, width, height, fps: 30 });
  const { latencies, frames: staged } = await liveLatency(livePath, label);
  console.log(`\n${label} (${width}x${height}, ${frames} frames at 30 fps; ${load()} after the live run)`);
  if (runs > 0) {
    console.log(
      `  bare GStreamer decode + scale:        ${median(baseline).toFixed(1)} frames/s (median of ${runs})`,
    );
    console.log(
      `  pipeline, every frame analysed:      ${median(pipeline).toFixed(1)} frames/s = highest sustained analysis rate`,
    );
    console.log(
      `  ratio pipeline / bare decode:         ${(median(pipeline) / median(baseline)).toFixed(3)}`,
    );
  }
  console.log(
    `  appsink -> WebSocket, whole edge live: p50 ${ms(percentile(latencies, 50))}, p95 ${ms(percentile(latencies, 95))}, p99 ${ms(percentile(latencies, 99))}, max ${ms(Math.max(...latencies))} (${latencies.length} frames of a ${liveSeconds} s clip analysed at ${liveFps} fps, recorder on, models ${liveModels})`,
  );
  if (runs > 0)
    console.log(
      `  before the appsink (not in that latency): decode + scale ${ms(1000 / median(baseline))} a frame in the bare run, on the same cores`,
    );
  printStages(latencies, staged);
  console.log(
    `  seed bar: p95 frame analysis < 500 ms -> ${percentile(latencies, 95) < 500 ? 'met' : 'NOT met'} on this CPU`,
  );
}
if (runs > 0 && sizes.includes('720p')) {
  const frames = [];
  for await (const f of readFileFrames(join(dir, `clip-720p-${seconds}s.mp4`), { ...size, fps: 2 }))
    frames.push(f);
  await analyzer.analyseBatch(frames.slice(0, 4)); // warm-up: first runs allocate
  const rates = { 1: [], 4: [] };
  for (let i = 0; i < runs; i++)
    for (const b of [1, 4]) rates[b].push(await batchThroughput(frames, b, analyzer));
  console.log(`\nanalysis batching (${frames.length} decoded 720p frames at ${size.width}x${size.height})`);
  console.log(
    `  batch 1: ${median(rates[1]).toFixed(1)} frames/s, batch 4: ${median(rates[4]).toFixed(1)} frames/s (median of ${runs}; ratio ${(median(rates[4]) / median(rates[1])).toFixed(2)})`,
  );
}
await analyzer.close();
process.exit(0);

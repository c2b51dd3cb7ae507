#!/usr/bin/env node
// Edge pipeline benchmark (npm run bench:edge). Prints, for 720p and 1080p input:
//  - per-frame latency from the analysis appsink to the WebSocket message arriving at a connected
//    screen, through the whole edge replaying a longer clip at its own pace, analysed at a fixed
//    BENCH_LIVE_FPS so a run holds at least 300 frames (p50, p95, p99, max);
//  - the highest sustained analysis rate (every frame analysed, as fast as this machine allows);
//  - that pipeline's throughput as a ratio to bare GStreamer decode + scale of the same file,
//    measured in the same run;
//  - analysis throughput of decoded frames at batch 1 against batch 4 (FrameAnalyzer.analyseBatch).
// Options (environment): BENCH_SECONDS (10), BENCH_RUNS (3: baseline runs, median taken),
// BENCH_LIVE_SECONDS (65: the live clip), BENCH_LIVE_FPS (5: its analysis rate).
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CapturePipeline } from '@gic/edge/capture/capture-pipeline.js';
import { loadEdgeConfig } from '@gic/edge/config.js';
import { startEdge } from '@gic/edge/edge-process.js';
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
const log = createLogger('bench', 'warn');
mkdirSync(dir, { recursive: true });

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const median = (values) => percentile(values, 50);
const ms = (v) => `${v.toFixed(1)} ms`;

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
 * (`latestCapturedAt`, stamped by the edge) to its message arriving at the screen.
 */
async function liveLatency(path, label) {
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
      GIC_MODELS: 'pp-ocrv4-det',
      GIC_PRIVACY_MASKS: JSON.stringify([{ x: 0, y: 0, w: 1, h: 0.14 }]),
      GIC_PROCEDURE_AUTO_START_S: '1',
      GIC_LOG_LEVEL: 'fatal',
    }),
    createLogger('bench-edge', 'fatal'),
  );
  const socket = new WebSocket(`${edge.httpUrl.replace('http', 'ws')}/api/v1/realtime/ws`);
  const latencies = [];
  let last = -1;
  socket.on('message', (data) => {
    const state = JSON.parse(String(data));
    const index = state.latest?.frameIndex;
    if (index === undefined || index === last || !state.latestCapturedAt) return;
    last = index;
    latencies.push(Date.now() - state.latestCapturedAt);
  });
  await edge.sourceEnded;
  await new Promise((r) => setTimeout(r, 200));
  socket.close();
  await edge.stop();
  rmSync(edgeDir, { recursive: true, force: true });
  return latencies;
}

const { analyzer, size } = await loadFrameAnalyzer(join(root, 'models'), ['pp-ocrv4-det'], log);
console.log(
  `GI Copilot edge pipeline benchmark: ${seconds} s clips, models ${analyzer.models.map((m) => `${m.id} [${m.executionProvider}]`).join(', ')}, analysis ${size.width}x${size.height}`,
);
for (const [label, width, height] of [
  ['720p', 1280, 720],
  ['1080p', 1920, 1080],
]) {
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
  const latencies = await liveLatency(livePath, label);
  console.log(`\n${label} (${width}x${height}, ${frames} frames at 30 fps)`);
  console.log(
    `  bare GStreamer decode + scale:        ${median(baseline).toFixed(1)} frames/s (median of ${runs})`,
  );
  console.log(
    `  pipeline, every frame analysed:      ${median(pipeline).toFixed(1)} frames/s = highest sustained analysis rate`,
  );
  console.log(`  ratio pipeline / bare decode:         ${(median(pipeline) / median(baseline)).toFixed(3)}`);
  console.log(
    `  appsink -> WebSocket, whole edge live: p50 ${ms(percentile(latencies, 50))}, p95 ${ms(percentile(latencies, 95))}, p99 ${ms(percentile(latencies, 99))}, max ${ms(Math.max(...latencies))} (${latencies.length} frames of a ${liveSeconds} s clip analysed at ${liveFps} fps, recorder on)`,
  );
  console.log(
    `  seed bar: p95 frame analysis < 500 ms -> ${percentile(latencies, 95) < 500 ? 'met' : 'NOT met'} on this CPU`,
  );
}
{
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

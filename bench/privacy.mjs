#!/usr/bin/env node
// Privacy benchmark (npm run bench:privacy). On the generated tower clips (shared/testing/privacy-clips),
// before (the new layers switched off by configuration: no field of view, the text detector fed the
// frame stretched into 512x288, no learned layout, no recogniser) and after (every layer on), prints:
//  - identifier characters the OCR oracle (Tesseract, as the recording is and upscaled 2x) reads in
//    the recording the edge made: must be 0 after;
//  - the share of the picture masked (what a reviewer loses), mean over in-body analysed frames;
//  - the text detector's time per frame: a full scan at the new resolution, a light scan (half size),
//    and the old 512x288 stretch;
//  - the edge pipeline's sustained rate (every frame analysed, as fast as it goes) against bare
//    GStreamer decode of the same file in the same run: before, after with every frame scanned in
//    full, and after as a room runs (a full privacy scan once a second, light ones between).
// Options (environment): BENCH_SECONDS (6: clip length), BENCH_RUNS (3: decode/pipeline runs, median).
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CapturePipeline } from '@gic/edge/capture/capture-pipeline.js';
import { loadEdgeConfig } from '@gic/edge/config.js';
import { startEdge } from '@gic/edge/edge-process.js';
import { loadFrameAnalyzer } from '@gic/shared/analysis/load-analyzer.js';
import { resolveModel } from '@gic/shared/analysis/model-manifest.js';
import { ScanCadence } from '@gic/shared/analysis/scan-cadence.js';
import { LIGHT_SCAN_SCALE, loadTextDetector, STRETCHED_INPUT } from '@gic/shared/analysis/text-detector.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { readFileFrames } from '@gic/shared/media/file-frames.js';
import { gst } from '@gic/shared/media/gst.js';
import { readIdentifiers } from '@gic/shared/testing/ocr-oracle.js';
import { privacyClips } from '@gic/shared/testing/privacy-clips.js';
import { writeTowerClip } from '@gic/shared/testing/tower-clip.js';

const root = resolve(import.meta.dirname, '..');
const models = join(root, 'models');
const dir = join(root, '.gic/bench/privacy');
const seconds = Number(process.env.BENCH_SECONDS ?? 6);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const log = createLogger('bench', 'warn');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const median = (values) => percentile(values, 50);
const pct = (v) => `${(v * 100).toFixed(2)}%`;

/** The new layers switched off: what the box did before this change. */
const BEFORE = {
  GIC_PRIVACY_MODE: 'off',
  GIC_PRIVACY_LAYERS_OFF: 'resolution,layout,recogniser',
  GIC_MODELS: 'pp-ocrv4-det,blazeface-front',
};

/** The whole edge over a clip, as fast as analysis goes; the recording and the in-body masked share. */
async function edgeRun(path, name, env) {
  const edgeDir = join(dir, `edge-${name}`);
  const edge = await startEdge(
    loadEdgeConfig({
      GIC_EDGE_DATA_DIR: edgeDir,
      GIC_EDGE_PORT: '0',
      GIC_HUB_URL: 'http://127.0.0.1:9', // nobody there: the room works offline
      GIC_ENROLMENT_TOKEN: `gic-enrol-${'A'.repeat(43)}`,
      GIC_SOURCE: `file:${path}`,
      GIC_REPLAY_REALTIME: 'false',
      GIC_ANALYSIS_FPS: '5',
      GIC_ANALYSIS_MIN_FPS: '5',
      GIC_MODELS_DIR: models,
      GIC_PROCEDURE_AUTO_START_S: '1',
      GIC_LOG_LEVEL: 'fatal',
      ...env,
    }),
    createLogger('bench-edge', 'fatal'),
  );
  try {
    await edge.sourceEnded;
    const { path: recording } = edge.db.prepare("SELECT path FROM recordings WHERE status = 'ready'").get();
    const analyses = edge.db
      .prepare('SELECT analysis FROM frame_analyses')
      .all()
      .map((r) => JSON.parse(r.analysis));
    const shares = analyses
      .filter((a) => a.quality.inBody && a.maskedInPicture !== undefined)
      .map((a) => a.maskedInPicture);
    // Before: no field of view is tracked, so the share is of the boxes over the whole frame.
    const boxShare = analyses
      .filter((a) => a.quality.inBody)
      .map((a) =>
        Math.min(
          1,
          a.privacyRegions.reduce((s, r) => s + r.w * r.h, 0),
        ),
      );
    return {
      recording,
      masked: shares.length ? shares.reduce((a, b) => a + b, 0) / shares.length : null,
      boxShare: boxShare.length ? boxShare.reduce((a, b) => a + b, 0) / boxShare.length : 0,
    };
  } finally {
    await edge.stop();
  }
}

async function oracle(recording, clip) {
  const frames = [];
  for await (const f of readFileFrames(recording, { width: 1280, height: 720, fps: 6 })) {
    const t = f.ptsMs / 1000;
    if (f.index % 3 === 0 || clip.watch.some(([a, b]) => t >= a && t <= b))
      frames.push({ ...f, data: Buffer.from(f.data) });
  }
  return readIdentifiers(frames, clip.identifiers, clip.patterns);
}

/** Bare decode of the file at its own size, to end of stream: frames per second of wall time. */
function bareDecode(path, frames) {
  return new Promise((resolveRun, reject) => {
    const pipeline = new (gst().Pipeline)(
      `filesrc location="${path}" ! qtdemux ! h264parse ! avdec_h264 ! videoconvert ! video/x-raw,format=RGB ! fakesink sync=false`,
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

/**
 * Our capture pipeline analysing every frame as fast as it can (no recorder, no pacing); with a
 * cadence, text scanned in full once per `everyMs` of stream time and light between, as a room runs.
 */
function analyseAll(path, bound, analyzer, everyMs) {
  const cadence = everyMs === undefined ? undefined : new ScanCadence(everyMs);
  return new Promise((resolveRun) => {
    let frames = 0;
    const started = performance.now();
    const capture = new CapturePipeline(
      {
        source: { kind: 'file', path, loop: false },
        realtime: false,
        analysis: { ...bound, fps: 15 },
        masks: [],
      },
      {
        onFrame: async (frame) => {
          await analyzer.analyseBatch([frame], cadence?.pick([frame]));
          frames++;
        },
        onEnd: () => resolveRun(frames / ((performance.now() - started) / 1000)),
      },
    );
    capture.start();
  });
}

const clips = privacyClips(seconds);
console.log(`GI Copilot privacy benchmark: ${clips.length} generated tower clips of ${seconds} s`);
const paths = [];
for (const [i, clip] of clips.entries()) {
  const path = join(dir, `clip-${i}.mp4`);
  await writeTowerClip(path, clip.options);
  paths.push(path);
}

console.log('\nWhat leaves the box (the whole edge, every clip; OCR oracle on the recording)');
for (const [i, clip] of clips.entries()) {
  const before = await edgeRun(paths[i], `${i}-before`, BEFORE);
  const after = await edgeRun(paths[i], `${i}-after`, {});
  const [readBefore, readAfter] = [await oracle(before.recording, clip), await oracle(after.recording, clip)];
  console.log(`  ${clip.name}`);
  console.log(
    `    identifier characters read: before ${readBefore.characters} (${[...new Set(readBefore.hits.map((h) => h.read))].join(' ') || '-'}), after ${readAfter.characters}${readAfter.characters === 0 ? '' : ' (MUST BE 0)'}`,
  );
  console.log(
    `    picture masked (in-body frames${clip.textInPicture ? '; text in the picture' : ', no text in the picture'}): before ${pct(before.boxShare)} of the frame in boxes, after ${after.masked === null ? '-' : pct(after.masked)} of the picture`,
  );
}

console.log('\nText detector time per frame (PP-OCRv4 det, CPU unless the box has CUDA)');
const det = await resolveModel(join(models, 'pp-ocrv4-det.json'));
const fresh = await loadTextDetector(det, undefined, { maxSide: 1280, minScale: 0.66 });
const stretched = await loadTextDetector(det, undefined, {
  maxSide: 1280,
  minScale: 1,
  stretchTo: STRETCHED_INPUT,
});
for (const [i, clip] of clips.entries()) {
  const { width, height } = clip.options;
  const frames = [];
  for await (const f of readFileFrames(paths[i], { width, height, fps: 2 }))
    frames.push({ ...f, data: Buffer.from(f.data) });
  const time = async (d) => {
    await d.detect(frames[0]);
    const ms = [];
    for (const f of frames) {
      const t = performance.now();
      await d.detect(f);
      ms.push(performance.now() - t);
    }
    return ms;
  };
  const [now, old] = [await time(fresh), await time(stretched)];
  const light = await time({ detect: (f) => fresh.detectBatch([f], LIGHT_SCAN_SCALE) });
  console.log(
    `  ${width}x${height}: full scan median ${median(now).toFixed(0)} ms, p95 ${percentile(now, 95).toFixed(0)} ms; light scan median ${median(light).toFixed(0)} ms, p95 ${percentile(light, 95).toFixed(0)} ms; old 512x288 median ${median(old).toFixed(0)} ms, p95 ${percentile(old, 95).toFixed(0)} ms (${frames.length} frames)`,
  );
}
await fresh.close();
await stretched.close();

console.log('\nSustained rate, every frame analysed, against bare decode of the same file in the same run');
const [beforeAnalyzer, afterAnalyzer] = [
  (
    await loadFrameAnalyzer(models, ['pp-ocrv4-det', 'blazeface-front'], log, {
      stretchedText: true,
      privacy: { recognise: 'never', fieldOfView: false },
    })
  ).analyzer,
  (await loadFrameAnalyzer(models, ['pp-ocrv4-det', 'pp-ocrv4-rec', 'blazeface-front'], log)).analyzer,
];
for (const [i, clip] of clips.entries()) {
  const frames = seconds * clip.options.fps;
  const bare = [];
  const before = [];
  const after = [];
  const room = [];
  for (let r = 0; r < runs; r++) {
    bare.push(await bareDecode(paths[i], frames));
    before.push(await analyseAll(paths[i], { width: 512, height: 288 }, beforeAnalyzer));
    after.push(await analyseAll(paths[i], { width: 1920, height: 1200 }, afterAnalyzer));
    room.push(await analyseAll(paths[i], { width: 1920, height: 1200 }, afterAnalyzer, 1000));
  }
  const b = median(bare);
  console.log(`  ${clip.options.width}x${clip.options.height}: bare decode ${b.toFixed(1)} frames/s`);
  console.log(
    `    before (512x288 frames, stretched detector):   ${median(before).toFixed(2)} frames/s, ratio ${(median(before) / b).toFixed(3)}`,
  );
  console.log(
    `    after, every frame scanned in full:            ${median(after).toFixed(2)} frames/s, ratio ${(median(after) / b).toFixed(3)}`,
  );
  console.log(
    `    after, full scan once a second, light between: ${median(room).toFixed(2)} frames/s, ratio ${(median(room) / b).toFixed(3)} (the room's default, GIC_FULL_SCAN_MS=1000)`,
  );
}
await beforeAnalyzer.close();
await afterAnalyzer.close();
console.log(
  `\n(median of ${runs} runs; analysis of 2-5 sampled frames a second needs a sustained rate above 5)`,
);
process.exit(0);

#!/usr/bin/env node
// How many GStreamer pipelines one process sustains (npm run bench:pipelines): N live pipelines
// (a 320x240 test pattern at 15 fps into an appsink each, like the edge's capture branch, plus one
// JPEG decode after another in the same process, like the realtime API's), with libuv's default
// 4 worker threads. Prints, for each N: the frame rate every pipeline got (min / median), how long a
// job through libuv's pool took meanwhile (the old binding stopped the process at N = 4), the
// process's threads and resident memory, and how long building and stopping them all took.
//   BENCH_PIPELINES (8,32,128,256)   the N to try;  BENCH_SECONDS (5)  how long each runs
import { readFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { decodeImage } from '@gic/shared/media/decode-image.js';
import { encodeJpeg } from '@gic/shared/media/encode-jpeg.js';
import { gst, gstStats } from '@gic/shared/media/gst.js';

const counts = (process.env.BENCH_PIPELINES ?? '8,32,128,256').split(',').map(Number);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
const status = () => readFileSync('/proc/self/status', 'utf8');
const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status())[1]);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const still = await encodeJpeg(
  { data: Buffer.alloc(1280 * 720 * 3, 90), width: 1280, height: 720, stride: 1280 * 3, index: 0, ptsMs: 0 },
  { quality: 85 },
);
console.log(`libuv pool: ${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'} threads; ${seconds} s per step`);
console.log(
  'pipelines  fps min / median  pool job p50 / max (ms)  decodes  threads  RSS (MiB)  build + stop (ms)',
);
for (const n of counts) {
  const built = performance.now();
  const pipelines = [];
  const frames = new Array(n).fill(0);
  for (let i = 0; i < n; i++) {
    const p = new (gst().Pipeline)(
      'videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=15/1 ! appsink name=sink max-buffers=1 drop=true',
    );
    p.pollBus(() => {});
    const sink = p.findChild('sink');
    const pull = () =>
      sink.pull((buf) => {
        if (!buf) return;
        frames[i]++;
        pull();
      });
    p.play();
    pull();
    pipelines.push(p);
  }
  const buildMs = performance.now() - built;
  await wait(500);
  frames.fill(0);
  const until = Date.now() + seconds * 1000;
  const probes = [];
  let decodes = 0;
  const probing = (async () => {
    while (Date.now() < until) {
      const t = performance.now();
      await access(process.execPath);
      probes.push(performance.now() - t);
      await wait(50);
    }
  })();
  const decoding = (async () => {
    while (Date.now() < until) {
      await decodeImage(still, { width: 512, height: 288 });
      decodes++;
    }
  })();
  await Promise.all([probing, decoding]);
  const fps = frames.map((f) => f / seconds);
  const threads = field('Threads');
  const rss = Math.round(field('VmRSS') / 1024);
  const stopped = performance.now();
  for (const p of pipelines) p.stop();
  while (gstStats().pipelines > 0) await wait(10);
  const stopMs = performance.now() - stopped;
  console.log(
    `${String(n).padStart(9)}  ${Math.min(...fps)
      .toFixed(1)
      .padStart(
        7,
      )} / ${median(fps).toFixed(1).padEnd(6)}  ${median(probes).toFixed(2).padStart(14)} / ${Math.max(
      ...probes,
    )
      .toFixed(1)
      .padEnd(
        8,
      )}  ${String(decodes).padStart(7)}  ${String(threads).padStart(7)}  ${String(rss).padStart(9)}  ${(buildMs + stopMs).toFixed(0).padStart(17)}`,
  );
}

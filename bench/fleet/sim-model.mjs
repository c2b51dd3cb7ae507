// A simulated box's model install: the edge's own `install-model` runner (edge/src/commands/
// install-model.ts) over the edge's ModelFolders in a models folder of the box's own: download by the
// presigned URL, every SHA-256 checked as it streams, deferred while a procedure runs, switched in by
// renames, health-checked, answered. What is shared between the boxes of one bench process is the
// health check's ONNX Runtime load and reference-frame run (SharedHealthCheck): 50 of them at once on
// the bench's cores take seconds each and go over the latency bound, which says nothing of a box.
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { installModelRunner } from '@gic/edge/commands/install-model.js';
import { ModelFolders } from '@gic/edge/models/model-folders.js';
import { checkModelHealth } from '@gic/edge/models/model-health.js';
import {
  buildTinyPolypDetector,
  installTinyPolypModel,
  TINY_POLYP_ID,
  tinyPolypManifest,
} from '@gic/shared/testing/tiny-polyp-model.js';

/** The size (px) the rolled-out model is built for. */
const SIZE = { width: 64, height: 48 };

const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');

/**
 * The model version to roll out, generated in code: the tiny polyp detector with one 512x512 matrix
 * product added (a 1 MiB weight, so that the downloads weigh something), and its manifest. With
 * `extraMiB`, a second file of that many MiB of random bytes is listed in the manifest: downloaded,
 * checked and switched in like weights (the model does not read it), to weigh the downloads as a
 * real model's do.
 */
export function rolloutModel(version, extraMiB = 0) {
  const onnx = buildTinyPolypDetector({ ...SIZE, slowness: 1 });
  const files = { 'model.onnx': onnx };
  if (extraMiB > 0) files['extra.bin'] = randomBytes(Math.round(extraMiB * 1024 ** 2));
  const manifest = tinyPolypManifest(sha(onnx), SIZE.width, SIZE.height);
  return {
    manifest: {
      ...manifest,
      version,
      files: Object.entries(files).map(([name, bytes]) => ({ name, sha256: sha(bytes) })),
    },
    files,
    bytes: Object.values(files).reduce((n, b) => n + b.byteLength, 0),
  };
}

/** Puts the tiny model 1.0.0 in a box's models folder: the version it runs before a rollout. */
export function installFirstModel(modelsDir) {
  installTinyPolypModel(modelsDir, SIZE);
  return TINY_POLYP_ID;
}

/**
 * The edge's model health check (checkModelHealth), run for real once per model version and bound (its
 * files' SHA-256, which every box checked on its own download); each other box waits as long as that
 * check took and takes its result. With `each`, every box runs its own.
 */
export class SharedHealthCheck {
  /** Checks that loaded ONNX Runtime, and checks that took another's result. */
  real = 0;
  reused = 0;
  /** Each real check: its wall time (ms) and result. */
  runs = [];
  results = new Map();

  constructor({ each = false } = {}) {
    this.each = each;
    this.check = (modelsDir, id, version, maxLatencyMs, log) =>
      this.run(modelsDir, id, version, maxLatencyMs, log);
  }

  async run(modelsDir, id, version, maxLatencyMs, log) {
    const real = async () => {
      this.real++;
      const started = performance.now();
      const health = await checkModelHealth(modelsDir, id, version, maxLatencyMs, log);
      const run = { ms: performance.now() - started, health };
      this.runs.push(run);
      return run;
    };
    if (this.each) return (await real()).health;
    const manifest = JSON.parse(await readFile(join(modelsDir, `${id}.json`), 'utf8'));
    const key = JSON.stringify([id, version, maxLatencyMs, manifest.files.map((f) => f.sha256)]);
    const first = this.results.get(key);
    if (!first) {
      const running = real();
      this.results.set(key, running);
      return (await running).health;
    }
    const started = performance.now();
    const { ms, health } = await first;
    this.reused++;
    const left = ms - (performance.now() - started);
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    return health;
  }
}

/** `fetch`, recording each response body's bytes and the time from the request to its last byte. */
function countingFetch(record) {
  return async (url, init) => {
    const startedAt = performance.now();
    const res = await fetch(url, init);
    if (!res.body) return res;
    let bytes = 0;
    const counted = res.body.pipeThrough(
      new TransformStream({
        transform(chunk, controller) {
          bytes += chunk.byteLength;
          controller.enqueue(chunk);
        },
        flush() {
          record({ startedAt, endedAt: performance.now(), bytes, status: res.status });
        },
      }),
    );
    return new Response(counted, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

/**
 * The `install-model` runner of one box (the edge's), its downloads recorded in `downloads`.
 * @param {{ modelsDir: string, procedureRunning: () => boolean, health: SharedHealthCheck, log: object, downloads: object[] }} box
 */
export function boxModelRunner({ modelsDir, procedureRunning, health, log, downloads }) {
  return installModelRunner({
    folders: new ModelFolders(
      modelsDir,
      countingFetch((d) => downloads.push(d)),
    ),
    procedureRunning,
    // A simulated box runs no analyzer to reload: the health check above is its load of the model.
    reloadAnalyzers: async () => {},
    log,
    health: health.check,
  });
}

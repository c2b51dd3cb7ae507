/**
 * The batch engine's thread (a worker_threads entry): the shared FrameAnalyzer, loaded here once.
 * onnxruntime-node runs a model synchronously on the calling thread, so on the hub's main thread a
 * batch of analyses would stall the API, the broker and ingest for seconds; here it stalls nothing.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadFrameAnalyzer } from '@gic/shared/analysis/load-analyzer.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import type { RgbFrame } from '@gic/shared/media/frame.js';

const { modelsDir, models } = workerData as { modelsDir: string; models: string[] };
const analyzer = loadFrameAnalyzer(modelsDir, models, createLogger('gic-hub-engine', 'info')).then(
  (l) => l.analyzer,
);

parentPort!.on('message', async (m: { id: number; frames: RgbFrame[] } | { close: true }) => {
  if ('close' in m) {
    await (await analyzer).close();
    parentPort!.close();
    return;
  }
  try {
    parentPort!.postMessage({ id: m.id, analyses: await (await analyzer).analyseBatch(m.frames) });
  } catch (err) {
    parentPort!.postMessage({ id: m.id, error: (err as Error).message ?? String(err) });
  }
});

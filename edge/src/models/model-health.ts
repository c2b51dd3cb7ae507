import { ThreadedAnalyzer } from '@gic/shared/analysis/threaded-analyzer.js';
import type { Logger } from '@gic/shared/logging/logger.js';

/** The reference frame's size (px): a common tower output. */
export const REFERENCE_FRAME = { width: 1280, height: 720 };

export type ModelHealth =
  | { ok: true; version: string; latencyMs: number; executionProvider: string }
  | { ok: false; reason: string; latencyMs?: number };

/**
 * A model's health after a switch, checked beside the running analyzer (a thread of its own, this
 * model only): it loads at `version`, and runs on a reference frame (mid-grey, `REFERENCE_FRAME`)
 * within `maxLatencyMs`. The first run warms the model up; the second is the one timed.
 */
export async function checkModelHealth(
  modelsDir: string,
  id: string,
  version: string,
  maxLatencyMs: number,
  log: Logger,
): Promise<ModelHealth> {
  let analyzer: ThreadedAnalyzer | undefined;
  try {
    analyzer = await ThreadedAnalyzer.start(modelsDir, [id], log);
    const off = analyzer.modelsOff.find((m) => m.id === id);
    if (off) return { ok: false, reason: `the model does not load: ${off.reason}` };
    const loaded = analyzer.models.find((m) => m.id === id);
    if (!loaded) return { ok: false, reason: 'the model is not loaded' };
    if (loaded.version !== version)
      return { ok: false, reason: `version ${loaded.version} loaded, ${version} expected` };
    await analyzer.warmUp(REFERENCE_FRAME);
    const latencyMs = await analyzer.warmUp(REFERENCE_FRAME);
    if (latencyMs > maxLatencyMs)
      return {
        ok: false,
        latencyMs,
        reason: `the reference frame took ${latencyMs} ms, over the bound of ${maxLatencyMs} ms`,
      };
    return { ok: true, version, latencyMs, executionProvider: loaded.executionProvider };
  } catch (err) {
    return { ok: false, reason: `the health check failed: ${(err as Error).message}` };
  } finally {
    await analyzer?.close();
  }
}

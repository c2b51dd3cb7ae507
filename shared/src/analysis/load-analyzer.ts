import { join } from 'node:path';
import type { Logger } from '../logging/logger.js';
import { FrameAnalyzer } from './frame-analyzer.js';
import { ModelUnavailableError, resolveModel } from './model-manifest.js';
import type { ExecutionProviderName } from './onnx-session.js';
import { loadTextDetector, type TextDetector } from './text-detector.js';

/** Analysis frame size when no model fixes one (px). */
export const DEFAULT_ANALYSIS_SIZE = { width: 512, height: 288 };

/**
 * Loads the named models from `modelsDir/{id}.json`. A model that is missing, corrupt or of a task
 * not handled yet is reported in `modelsOff` with the reason, and analysis runs on without it.
 */
export async function loadFrameAnalyzer(
  modelsDir: string,
  modelIds: string[],
  log: Logger,
  preferred?: ExecutionProviderName[],
): Promise<{ analyzer: FrameAnalyzer; size: { width: number; height: number } }> {
  const modelsOff: { id: string; reason: string }[] = [];
  let textDetector: TextDetector | undefined;
  let size = DEFAULT_ANALYSIS_SIZE;
  for (const id of modelIds) {
    try {
      const model = await resolveModel(join(modelsDir, `${id}.json`));
      if (model.manifest.task === 'text-detection' && !textDetector) {
        textDetector = await loadTextDetector(model, preferred);
        size = { width: model.manifest.input.width, height: model.manifest.input.height };
        log.info({ model: textDetector.ref }, 'model loaded');
      } else {
        throw new ModelUnavailableError(id, `task ${model.manifest.task} is not run by this version`);
      }
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      modelsOff.push({ id, reason: reason.slice(0, 500) });
      log.error({ model: id, reason }, 'model off; analysis continues without it');
    }
  }
  return { analyzer: new FrameAnalyzer({ ...(textDetector ? { textDetector } : {}), modelsOff }), size };
}

import { join } from 'node:path';
import type { Logger } from '../logging/logger.js';
import { loadFaceDetector } from './face-detector.js';
import { FrameAnalyzer, type FrameAnalyzerParts } from './frame-analyzer.js';
import { ModelUnavailableError, resolveModel } from './model-manifest.js';
import type { ExecutionProviderName } from './onnx-session.js';
import { loadPolypDetector } from './polyp-detector.js';
import { loadTextDetector } from './text-detector.js';

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
  const parts: Omit<FrameAnalyzerParts, 'modelsOff'> = {};
  let size = DEFAULT_ANALYSIS_SIZE;
  for (const id of modelIds) {
    try {
      const model = await resolveModel(join(modelsDir, `${id}.json`));
      const { task } = model.manifest;
      const taken = (slot: keyof typeof parts) => {
        if (parts[slot]) throw new ModelUnavailableError(id, `another ${task} model is already loaded`);
      };
      if (task === 'text-detection') {
        taken('textDetector');
        parts.textDetector = await loadTextDetector(model, preferred);
        // The text detector fixes the analysis size: it must read small print.
        size = { width: model.manifest.input.width, height: model.manifest.input.height };
      } else if (task === 'face-detection') {
        taken('faceDetector');
        parts.faceDetector = await loadFaceDetector(model, preferred);
      } else if (task === 'polyp-detection' || task === 'polyp-segmentation') {
        taken('polypDetector');
        parts.polypDetector = await loadPolypDetector(model, preferred);
      } else {
        throw new ModelUnavailableError(id, `task ${task} is not run by this version`);
      }
      log.info({ model: id, task }, 'model loaded');
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      modelsOff.push({ id, reason: reason.slice(0, 500) });
      log.error({ model: id, reason }, 'model off; analysis continues without it');
    }
  }
  return { analyzer: new FrameAnalyzer({ ...parts, modelsOff }), size };
}

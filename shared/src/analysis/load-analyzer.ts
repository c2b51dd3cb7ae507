import { join } from 'node:path';
import type { Logger } from '../logging/logger.js';
import { loadFaceDetector } from './face-detector.js';
import { FrameAnalyzer, type FrameAnalyzerParts, type PrivacyAnalysisOptions } from './frame-analyzer.js';
import { ModelUnavailableError, resolveModel } from './model-manifest.js';
import type { ExecutionProviderName } from './onnx-session.js';
import { loadPolypDetector } from './polyp-detector.js';
import { loadTextRecogniser } from './privacy/text-recogniser.js';
import {
  LIGHT_SCAN_SCALE,
  loadTextDetector,
  STRETCHED_INPUT,
  type TextDetectionScale,
} from './text-detector.js';

/** Size still images posted to the realtime API are analysed at (px). */
export const STILL_IMAGE_SIZE = { width: 1280, height: 720 };

export interface AnalyzerOptions {
  preferred?: ExecutionProviderName[];
  privacy?: Partial<PrivacyAnalysisOptions>;
  /**
   * Give the text detector the whole frame stretched into 512x288, as before it kept small print:
   * for measuring what the new resolution buys (GIC_PRIVACY_LAYERS_OFF=resolution), never in a room.
   */
  stretchedText?: boolean;
  /**
   * Threads of one run of the text models (detector and recogniser) on the CPU; absent: onnxruntime's
   * default, its count of physical cores, which on some virtual machines is one (a 2-core VM here: a
   * full 720p scan took 218 ms of inference on one thread, 138 ms on two). For a process whose text
   * scans may take every core (the hub's batch worker); the edge's live path keeps the default.
   */
  textThreads?: number;
}

/**
 * Loads the named models from `modelsDir/{id}.json`. A model that is missing, corrupt or of a task
 * not handled yet is reported in `modelsOff` with the reason, and analysis runs on without it.
 * A text detector's manifest input is its largest single pass (frames are scaled to keep small print,
 * and tiled beyond it; see text-detector.ts).
 */
export async function loadFrameAnalyzer(
  modelsDir: string,
  modelIds: string[],
  log: Logger,
  o: AnalyzerOptions = {},
): Promise<{ analyzer: FrameAnalyzer; size: { width: number; height: number } }> {
  const { preferred } = o;
  const modelsOff: { id: string; reason: string }[] = [];
  const parts: Omit<FrameAnalyzerParts, 'modelsOff'> = {};
  for (const id of modelIds) {
    try {
      const model = await resolveModel(join(modelsDir, `${id}.json`));
      const { task } = model.manifest;
      const taken = (slot: keyof typeof parts) => {
        if (parts[slot]) throw new ModelUnavailableError(id, `another ${task} model is already loaded`);
      };
      if (task === 'text-detection') {
        taken('textDetector');
        const { width, height } = model.manifest.input;
        const scale: TextDetectionScale = o.stretchedText
          ? { maxSide: Math.max(width, height), minScale: 1, stretchTo: STRETCHED_INPUT }
          : { maxSide: Math.max(width, height), minScale: 0.66 };
        parts.textDetector = await loadTextDetector(model, preferred, scale, o.textThreads);
        if (!o.stretchedText) parts.lightTextScale = LIGHT_SCAN_SCALE;
      } else if (task === 'text-recognition') {
        taken('textRecogniser');
        parts.textRecogniser = await loadTextRecogniser(model, preferred, o.textThreads);
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
  const privacy = { ...o.privacy, ...(o.stretchedText ? { textLines: false } : {}) };
  return { analyzer: new FrameAnalyzer({ ...parts, modelsOff, privacy }), size: STILL_IMAGE_SIZE };
}

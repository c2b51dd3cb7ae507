import { checkRgbFrame, type RgbFrame } from '../media/frame.js';
import type { Box, Detection, FrameAnalysis, ModelRef } from '../messages/events.js';
import { growBox } from './box-geometry.js';
import { assessQuality, defaultQualityThresholds, type QualityThresholds } from './image-quality.js';

/** Face boxes run brow to chin; masks grow them by this share of their size on each side, for hair and ears. */
const FACE_MARGIN = 0.25;

/** A loaded model that finds regions (text, faces) or findings in a frame. */
export interface RegionModel<T> {
  readonly ref: ModelRef;
  detect(frame: RgbFrame): Promise<T[]>;
  /** Results for each frame, in order, where the model can do better than one `detect` a frame. */
  detectBatch?(frames: RgbFrame[]): Promise<T[][]>;
  close(): Promise<void>;
}

/** Runs a model on the frames `wanted` picks; the others get no results. */
async function detectWhere<T>(
  model: RegionModel<T> | undefined,
  frames: RgbFrame[],
  wanted: (i: number) => boolean,
): Promise<T[][]> {
  const picked = frames.filter((_, i) => wanted(i));
  const empty = frames.map((): T[] => []);
  if (!model || picked.length === 0) return empty;
  let found: T[][];
  if (model.detectBatch) found = await model.detectBatch(picked);
  else {
    // One at a time: onnxruntime already spreads one run over the cores.
    found = [];
    for (const frame of picked) found.push(await model.detect(frame));
  }
  if (found.length !== picked.length) {
    throw new Error(`model ${model.ref.id} gave ${found.length} results for ${picked.length} frames`);
  }
  let next = 0;
  return frames.map((_, i) => (wanted(i) ? found[next++]! : empty[i]!));
}

export interface FrameAnalyzerParts {
  /** Burned-in text (always run: the tower's on-screen display). */
  textDetector?: RegionModel<Box>;
  /** Faces, run only when the view is outside the body. */
  faceDetector?: RegionModel<Box>;
  /** Clinical findings (polyps), run on in-body frames. */
  polypDetector?: RegionModel<Detection>;
  /** Models that are configured but could not load, with the reason; reported on every frame. */
  modelsOff: { id: string; reason: string }[];
  thresholds?: QualityThresholds;
}

/** Runs image quality and every loaded model on a frame or a batch of frames. */
export class FrameAnalyzer {
  constructor(private readonly parts: FrameAnalyzerParts) {}

  /** The models in use, for health and status. */
  get models(): ModelRef[] {
    const { textDetector, faceDetector, polypDetector } = this.parts;
    return [textDetector, faceDetector, polypDetector].filter((m) => m !== undefined).map((m) => m.ref);
  }

  get modelsOff() {
    return this.parts.modelsOff;
  }

  /** Analyses one frame: a batch of one. */
  async analyse(frame: RgbFrame): Promise<FrameAnalysis> {
    return (await this.analyseBatch([frame]))[0]!;
  }

  /**
   * Analyses frames together, one analysis each, in order, equal to analysing them one by one: image
   * quality for each, text on all, faces on those outside the body, polyps on those inside, each model
   * given its frames in one batch. `latencyMs` of each analysis is the whole batch's time, since no
   * frame's result is ready before the batch is done. Throws a RangeError for a frame whose buffer
   * cannot hold its picture.
   */
  async analyseBatch(frames: RgbFrame[]): Promise<FrameAnalysis[]> {
    const started = performance.now();
    for (const frame of frames) checkRgbFrame(frame);
    const { textDetector, faceDetector, polypDetector } = this.parts;
    const thresholds = this.parts.thresholds ?? defaultQualityThresholds;
    const qualities = frames.map((frame) => assessQuality(frame, thresholds));
    const [text, faces, detections] = await Promise.all([
      detectWhere(textDetector, frames, () => true),
      detectWhere(faceDetector, frames, (i) => !qualities[i]!.inBody),
      detectWhere(polypDetector, frames, (i) => qualities[i]!.inBody),
    ]);
    const latencyMs = +(performance.now() - started).toFixed(2);
    return frames.map((frame, i) => ({
      frameIndex: frame.index,
      ptsMs: frame.ptsMs,
      width: frame.width,
      height: frame.height,
      quality: qualities[i]!,
      privacyRegions: [
        ...text[i]!.map((b) => ({ ...b, kind: 'text' as const })),
        ...faces[i]!.map((b) => ({ ...growBox(b, FACE_MARGIN), kind: 'face' as const })),
      ],
      detections: detections[i]!,
      models: this.models,
      modelsOff: this.parts.modelsOff,
      latencyMs,
    }));
  }

  async close(): Promise<void> {
    const { textDetector, faceDetector, polypDetector } = this.parts;
    await Promise.all([textDetector?.close(), faceDetector?.close(), polypDetector?.close()]);
  }
}

import type { RgbFrame } from '../media/frame.js';
import type { Box, Detection, FrameAnalysis, ModelRef } from '../messages/events.js';
import { assessQuality, defaultQualityThresholds, type QualityThresholds } from './image-quality.js';

/** Face boxes run brow to chin; masks grow them by this share of their size on each side, for hair and ears. */
const FACE_MARGIN = 0.25;

function grow(b: Box, share: number): Box {
  const x0 = Math.max(0, b.x - b.w * share);
  const y0 = Math.max(0, b.y - b.h * share);
  const x1 = Math.min(1, b.x + b.w * (1 + share));
  const y1 = Math.min(1, b.y + b.h * (1 + share));
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** A loaded model that finds regions (text, faces) or findings in a frame. */
export interface RegionModel<T> {
  readonly ref: ModelRef;
  detect(frame: RgbFrame): Promise<T[]>;
  close(): Promise<void>;
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

/** Runs image quality and every loaded model on one frame. */
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

  async analyse(frame: RgbFrame): Promise<FrameAnalysis> {
    const started = performance.now();
    const { textDetector, faceDetector, polypDetector } = this.parts;
    const quality = assessQuality(frame, this.parts.thresholds ?? defaultQualityThresholds);
    const [text, faces, detections] = await Promise.all([
      textDetector ? textDetector.detect(frame) : [],
      faceDetector && !quality.inBody ? faceDetector.detect(frame) : [],
      polypDetector && quality.inBody ? polypDetector.detect(frame) : [],
    ]);
    return {
      frameIndex: frame.index,
      ptsMs: frame.ptsMs,
      width: frame.width,
      height: frame.height,
      quality,
      privacyRegions: [
        ...text.map((b) => ({ ...b, kind: 'text' as const })),
        ...faces.map((b) => ({ ...grow(b, FACE_MARGIN), kind: 'face' as const })),
      ],
      detections,
      models: this.models,
      modelsOff: this.parts.modelsOff,
      latencyMs: +(performance.now() - started).toFixed(2),
    };
  }

  async close(): Promise<void> {
    const { textDetector, faceDetector, polypDetector } = this.parts;
    await Promise.all([textDetector?.close(), faceDetector?.close(), polypDetector?.close()]);
  }
}

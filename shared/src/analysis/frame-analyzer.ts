import type { RgbFrame } from '../media/frame.js';
import type { FrameAnalysis } from '../messages/events.js';
import { assessQuality, defaultQualityThresholds, type QualityThresholds } from './image-quality.js';
import type { TextDetector } from './text-detector.js';

export interface FrameAnalyzerParts {
  textDetector?: TextDetector;
  /** Models that are configured but could not load, with the reason; reported on every frame. */
  modelsOff: { id: string; reason: string }[];
  thresholds?: QualityThresholds;
}

/** Runs image quality and every loaded model on one frame. */
export class FrameAnalyzer {
  constructor(private readonly parts: FrameAnalyzerParts) {}

  /** The models in use, for health and status. */
  get models() {
    return this.parts.textDetector ? [this.parts.textDetector.ref] : [];
  }

  get modelsOff() {
    return this.parts.modelsOff;
  }

  async analyse(frame: RgbFrame): Promise<FrameAnalysis> {
    const started = performance.now();
    const quality = assessQuality(frame, this.parts.thresholds ?? defaultQualityThresholds);
    const privacyRegions = this.parts.textDetector ? await this.parts.textDetector.detect(frame) : [];
    return {
      frameIndex: frame.index,
      ptsMs: frame.ptsMs,
      width: frame.width,
      height: frame.height,
      quality,
      privacyRegions,
      detections: [],
      models: this.models,
      modelsOff: this.parts.modelsOff,
      latencyMs: +(performance.now() - started).toFixed(2),
    };
  }

  async close(): Promise<void> {
    await this.parts.textDetector?.close();
  }
}

import type { RgbFrame } from '../media/frame.js';
import type { FrameQuality } from '../messages/events.js';

export interface QualityThresholds {
  /** Laplacian variance of luma (0..255 scale) below which a frame counts as blurred. */
  minSharpness: number;
  /** Mean luma (0..1) below which a frame is under-exposed. */
  underExposed: number;
  /** Mean luma (0..1) above which a frame is over-exposed. */
  overExposed: number;
  /** Red over mean(green, blue) above which the view counts as inside the body. */
  inBodyRedRatio: number;
}

export const defaultQualityThresholds: QualityThresholds = {
  minSharpness: 15,
  underExposed: 0.12,
  overExposed: 0.88,
  inBodyRedRatio: 1.35,
};

/** Blur, exposure and in-body estimate of one frame, on a grid of every `step`-th pixel. */
export function assessQuality(
  frame: RgbFrame,
  thresholds = defaultQualityThresholds,
  step = 2,
): FrameQuality {
  const { width, height, stride, data } = frame;
  const gw = Math.floor(width / step);
  const gh = Math.floor(height / step);
  const luma = new Float32Array(gw * gh);
  let r = 0;
  let g = 0;
  let b = 0;
  let sum = 0;
  for (let y = 0; y < gh; y++) {
    for (let x = 0; x < gw; x++) {
      const p = y * step * stride + x * step * 3;
      const pr = data[p]!;
      const pg = data[p + 1]!;
      const pb = data[p + 2]!;
      r += pr;
      g += pg;
      b += pb;
      const l = 0.299 * pr + 0.587 * pg + 0.114 * pb;
      luma[y * gw + x] = l;
      sum += l;
    }
  }
  const n = gw * gh;
  let lapSum = 0;
  let lapSq = 0;
  let lapN = 0;
  for (let y = 1; y < gh - 1; y++) {
    for (let x = 1; x < gw - 1; x++) {
      const i = y * gw + x;
      const lap = luma[i - 1]! + luma[i + 1]! + luma[i - gw]! + luma[i + gw]! - 4 * luma[i]!;
      lapSum += lap;
      lapSq += lap * lap;
      lapN++;
    }
  }
  const sharpness = lapN > 0 ? lapSq / lapN - (lapSum / lapN) ** 2 : 0;
  const brightness = n > 0 ? sum / n / 255 : 0;
  const redRatio = r / Math.max(1, (g + b) / 2);
  return {
    sharpness: Math.max(0, +sharpness.toFixed(2)),
    brightness: +brightness.toFixed(4),
    blurred: sharpness < thresholds.minSharpness,
    exposure:
      brightness < thresholds.underExposed ? 'under' : brightness > thresholds.overExposed ? 'over' : 'ok',
    inBody: redRatio >= thresholds.inBodyRedRatio && brightness >= thresholds.underExposed,
  };
}

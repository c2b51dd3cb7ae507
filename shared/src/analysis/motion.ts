import {
  fullRangeLuma,
  type I420Frame,
  i420Layout,
  isFullRange,
  luma8,
  type RgbFrame,
} from '../media/frame.js';

/**
 * Spacing of the motion grid (px): every 8th pixel each way is 6,400 samples for 640x640, enough to
 * see the view move and cheap enough (well under 1 ms) to run on every frame the appsink delivers.
 */
export const DEFAULT_MOTION_STEP = 8;

/** Y samples as they are (full range) and stretched from video range, looked up rather than computed per sample. */
const IDENTITY = Uint8Array.from({ length: 256 }, (_, y) => y);
const VIDEO_TO_FULL = Uint8Array.from({ length: 256 }, (_, y) => fullRangeLuma(y));

/** Luma (0..255) of a frame sampled on a coarse grid, kept instead of the frame to compare the next one. */
export interface LumaGrid {
  /** Size of the frame it was sampled from (px). */
  width: number;
  height: number;
  /** Grid spacing (px). */
  step: number;
  values: Uint8Array;
}

/**
 * Samples a frame's luma at the centre of every `step` x `step` cell: BT.601 weights of an RGB frame, or
 * an I420 frame's own Y plane stretched to full range (the same scale, without a conversion).
 */
export function sampleLuma(frame: RgbFrame | I420Frame, step = DEFAULT_MOTION_STEP): LumaGrid {
  if (!Number.isInteger(step) || step < 1)
    throw new RangeError(`motion grid step ${step} must be a whole px >= 1`);
  const { width, height, data } = frame;
  const cols = Math.max(1, Math.floor(width / step));
  const rows = Math.max(1, Math.floor(height / step));
  const half = Math.floor(step / 2);
  const values = new Uint8Array(cols * rows);
  if ('format' in frame) {
    const { yStride, size } = i420Layout(width, height);
    if (data.length < size)
      throw new RangeError(`frame ${frame.index}: ${data.length} bytes cannot hold ${width}x${height} I420`);
    const scale = isFullRange(frame.colorimetry) ? IDENTITY : VIDEO_TO_FULL;
    for (let gy = 0; gy < rows; gy++) {
      const row = Math.min(height - 1, gy * step + half) * yStride;
      for (let gx = 0; gx < cols; gx++) {
        values[gy * cols + gx] = scale[data[row + Math.min(width - 1, gx * step + half)]!]!;
      }
    }
    return { width, height, step, values };
  }
  const { stride } = frame;
  for (let gy = 0; gy < rows; gy++) {
    const row = Math.min(height - 1, gy * step + half) * stride;
    for (let gx = 0; gx < cols; gx++) {
      const p = row + Math.min(width - 1, gx * step + half) * 3;
      values[gy * cols + gx] = luma8(data[p]!, data[p + 1]!, data[p + 2]!);
    }
  }
  return { width, height, step, values };
}

/** Mean absolute luma difference of two grids sampled alike, 0 (identical) .. 1 (black against white). */
export function lumaDifference(a: LumaGrid, b: LumaGrid): number {
  if (a.width !== b.width || a.height !== b.height || a.step !== b.step) {
    throw new RangeError(
      `motion needs frames of one size and grid: ${a.width}x${a.height}/${a.step} against ${b.width}x${b.height}/${b.step}`,
    );
  }
  const n = a.values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.abs(a.values[i]! - b.values[i]!);
  return n > 0 ? sum / n / 255 : 0;
}

/** How much the view changed between two frames of the same size: mean absolute luma difference, 0..1. */
export function motionScore(a: RgbFrame, b: RgbFrame, step = DEFAULT_MOTION_STEP): number {
  return lumaDifference(sampleLuma(a, step), sampleLuma(b, step));
}

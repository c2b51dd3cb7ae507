import { checkRgbFrame, type RgbFrame } from '../media/frame.js';
import type { Box } from '../messages/events.js';
import { coveringPixels, growBox } from './box-geometry.js';

/**
 * A copy of the frame with every box (normalised) painted black, each first grown by `marginShare` of
 * its own size on each side (0.1 = 10%). Every pixel a box touches, even in part, is painted, so that
 * scaling or JPEG cannot bring the edge of a letter back. The frame itself is left as it was.
 */
export function burnOutRegions(frame: RgbFrame, boxes: readonly Box[], marginShare: number): RgbFrame {
  checkRgbFrame(frame);
  if (!Number.isFinite(marginShare) || marginShare < 0) {
    throw new RangeError(`burn-out margin must be a share >= 0, got ${marginShare}`);
  }
  const { width, height, stride } = frame;
  const data = Uint8Array.from(frame.data);
  for (const box of boxes) {
    const { x0, y0, x1, y1 } = coveringPixels(growBox(box, marginShare), width, height);
    for (let y = y0; y < y1; y++) data.fill(0, y * stride + x0 * 3, y * stride + x1 * 3);
  }
  return { ...frame, data };
}

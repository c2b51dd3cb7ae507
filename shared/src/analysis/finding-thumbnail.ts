import { encodeJpeg } from '../media/encode-jpeg.js';
import type { RgbFrame } from '../media/frame.js';
import type { Box, FrameAnalysis } from '../messages/events.js';
import { coveringPixels } from './box-geometry.js';
import { burnMask, type PrivacyMask } from './privacy/privacy-mask.js';

export interface FindingThumbnailOptions {
  /** Thumbnail width (px); a smaller frame is not enlarged. */
  width?: number;
  /** JPEG quality, 1..100. */
  quality?: number;
}

export const defaultThumbnailOptions: Required<FindingThumbnailOptions> = {
  width: 320, // px: enough to recognise a lesion in a list, small to store and send
  quality: 80,
};

/** Outline colour: a saturated yellow, which mucosa (red) and the burned-out regions (black) never are. */
const OUTLINE_RGB = [255, 230, 0] as const;
/** Outline thickness in the thumbnail (px). */
const OUTLINE_PX = 2;

/** Paints a frame of `thickness` px just outside the box, so that the finding itself stays visible. */
function outline(frame: RgbFrame, box: Box, thickness: number): void {
  const { width, height, stride, data } = frame;
  const inner = coveringPixels(box, width, height);
  const x0 = Math.max(0, inner.x0 - thickness);
  const y0 = Math.max(0, inner.y0 - thickness);
  const x1 = Math.min(width, inner.x1 + thickness);
  const y1 = Math.min(height, inner.y1 + thickness);
  for (let y = y0; y < y1; y++) {
    const band = y < inner.y0 || y >= inner.y1;
    for (let x = x0; x < x1; x++) {
      if (band || x < inner.x0 || x >= inner.x1) data.set(OUTLINE_RGB, y * stride + x * 3);
    }
  }
}

/**
 * A JPEG of a finding for the review list: the frame with the privacy mask burned out (the same mask
 * the recording has at this frame: outside the picture, the layout, text and faces; see
 * privacy-mask.ts), the finding outlined, scaled to about 320 px wide. Refuses an analysis of another
 * frame, a frame outside the body and a mask of the whole frame, rather than risk pixels that must
 * not leave the box or make a black picture.
 */
export async function findingThumbnail(
  frame: RgbFrame,
  analysis: FrameAnalysis,
  mask: PrivacyMask,
  finding: Box,
  options: FindingThumbnailOptions = {},
): Promise<Buffer> {
  const o = { ...defaultThumbnailOptions, ...options };
  if (
    analysis.frameIndex !== frame.index ||
    analysis.width !== frame.width ||
    analysis.height !== frame.height
  ) {
    throw new Error(
      `analysis of frame ${analysis.frameIndex} (${analysis.width}x${analysis.height}) is not of frame ${frame.index} (${frame.width}x${frame.height})`,
    );
  }
  if (!analysis.quality.inBody) {
    throw new Error(`frame ${frame.index} is not inside the body: no thumbnail is made of it`);
  }
  if (mask.full) throw new Error(`frame ${frame.index} is masked whole: no thumbnail is made of it`);
  const width = Math.min(o.width, frame.width);
  const burned = burnMask(frame, mask);
  outline(burned, finding, Math.max(1, Math.round((OUTLINE_PX * frame.width) / width)));
  return encodeJpeg(burned, { quality: o.quality, width });
}

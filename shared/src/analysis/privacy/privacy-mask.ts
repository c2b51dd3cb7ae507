import { checkRgbFrame, type RgbFrame } from '../../media/frame.js';
import type { Box } from '../../messages/events.js';
import { coveringPixels } from '../box-geometry.js';
import { type Point, polygonRowSpans } from './polygon.js';

/**
 * What a device masks outside the endoscope's picture: `mask-outside` (default) everything; `text-only`
 * only the text found there and the learned layout; `off` the picture is not used at all (a tower whose
 * picture fills the frame): text is masked wherever the recogniser agrees it is text.
 */
export const PRIVACY_MODES = ['mask-outside', 'text-only', 'off'] as const;
export type PrivacyMode = (typeof PRIVACY_MODES)[number];

/**
 * Everything to burn out of one frame before it is stored or leaves the box. The one description that
 * every output renders: the recorder (as SVG for rsvgoverlay), thumbnails and exports (as pixels).
 */
export interface PrivacyMask {
  /** The whole frame: the scope may be outside the body, or the analysis lags. */
  full: boolean;
  /** Everything outside this outline (normalised): the tower's border and its overlay. */
  outside?: Point[];
  /** Regions inside or outside the picture (normalised, already grown): text, layout, faces. */
  boxes: Box[];
}

/** The layers of one frame, as the edge (or a hub job) has decided them. */
export interface MaskLayers {
  mode: PrivacyMode;
  /** Layer 1: out of the body, or analysis too late to know. */
  full: boolean;
  /** Layer 2: the picture's outline in use; undefined while none has been seen. */
  fieldOfView?: Point[];
  /** Layer 3: the device's learned (and edited) on-screen-display layout, and boxes configured by hand. */
  layout: Box[];
  /** Layer 4: text lines found (grown), and faces (grown), held as the caller decides. */
  regions: Box[];
}

/**
 * Puts the layers together, failing closed: in `mask-outside` mode a device that has not yet seen the
 * picture masks the whole frame, since it cannot tell the tower's overlay from the picture.
 */
export function composeMask(layers: MaskLayers): PrivacyMask {
  const boxes = [...layers.layout, ...layers.regions];
  if (layers.mode !== 'mask-outside') return { full: layers.full, boxes };
  if (!layers.fieldOfView) return { full: true, boxes };
  return { full: layers.full, outside: layers.fieldOfView, boxes };
}

const svgNumber = (v: number) => String(Math.round(v * 10000) / 10);

/** The mask as an SVG that paints it black over a frame of any size (viewBox 0..1000, stretched to the frame). */
export function maskSvg(mask: PrivacyMask): string {
  const shapes: string[] = [];
  if (mask.full) shapes.push("<rect x='0' y='0' width='1000' height='1000' fill='black'/>");
  else {
    if (mask.outside && mask.outside.length >= 3) {
      const hole = mask.outside
        .map((p, i) => `${i ? 'L' : 'M'}${svgNumber(p.x)} ${svgNumber(p.y)}`)
        .join(' ');
      shapes.push(`<path fill-rule='evenodd' fill='black' d='M0 0H1000V1000H0Z ${hole}Z'/>`);
    }
    for (const b of mask.boxes) {
      shapes.push(
        `<rect x='${svgNumber(b.x)}' y='${svgNumber(b.y)}' width='${svgNumber(b.w)}' height='${svgNumber(b.h)}' fill='black'/>`,
      );
    }
  }
  return `<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 1000 1000' preserveAspectRatio='none'>${shapes.join('')}</svg>`;
}

/**
 * A copy of the frame with the mask burned in (black). Every pixel a box touches, even in part, is
 * burned, so scaling or JPEG cannot bring the edge of a letter back; outside the outline, every pixel
 * whose centre is outside. The frame itself is left as it was.
 */
export function burnMask(frame: RgbFrame, mask: PrivacyMask): RgbFrame {
  checkRgbFrame(frame);
  const { width, height, stride } = frame;
  const data = Uint8Array.from(frame.data);
  const blank = (y: number, x0: number, x1: number) => {
    if (x1 > x0) data.fill(0, y * stride + x0 * 3, y * stride + x1 * 3);
  };
  if (mask.full) {
    for (let y = 0; y < height; y++) blank(y, 0, width);
    return { ...frame, data };
  }
  if (mask.outside) {
    const spans = polygonRowSpans(mask.outside, width, height);
    for (let y = 0; y < height; y++) {
      const s = spans[y];
      if (!s) blank(y, 0, width);
      else {
        blank(y, 0, s[0]);
        blank(y, s[1], width);
      }
    }
  }
  for (const box of mask.boxes) {
    const { x0, y0, x1, y1 } = coveringPixels(box, width, height);
    for (let y = y0; y < y1; y++) blank(y, x0, x1);
  }
  return { ...frame, data };
}

/**
 * Share (0..1) of the picture (`fieldOfView`, normalised) that the mask hides, on a `cols`-wide raster
 * of the frame's aspect: what a reviewer loses of the clinical image. 1 for a full mask.
 */
export function maskedShareOfPicture(
  mask: PrivacyMask,
  fieldOfView: readonly Point[],
  aspect: number,
  cols = 320,
): number {
  if (mask.full) return 1;
  const rows = Math.max(1, Math.round(cols / aspect));
  const hidden = new Uint8Array(cols * rows);
  if (mask.outside) {
    const kept = polygonRowSpans(mask.outside, cols, rows);
    for (let y = 0; y < rows; y++) {
      const k = kept[y];
      if (!k) hidden.fill(1, y * cols, (y + 1) * cols);
      else {
        hidden.fill(1, y * cols, y * cols + k[0]);
        hidden.fill(1, y * cols + k[1], (y + 1) * cols);
      }
    }
  }
  for (const b of mask.boxes) {
    const { x0, y0, x1, y1 } = coveringPixels(b, cols, rows);
    for (let y = y0; y < y1; y++) hidden.fill(1, y * cols + x0, y * cols + x1);
  }
  const picture = polygonRowSpans(fieldOfView, cols, rows);
  let total = 0;
  let count = 0;
  for (let y = 0; y < rows; y++) {
    const s = picture[y];
    if (!s) continue;
    total += s[1] - s[0];
    for (let x = s[0]; x < s[1]; x++) count += hidden[y * cols + x]!;
  }
  return total > 0 ? count / total : 0;
}

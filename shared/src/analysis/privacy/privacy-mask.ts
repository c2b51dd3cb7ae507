import { checkRgbFrame, type I420Frame, i420Layout, type RgbFrame } from '../../media/frame.js';
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
 * The pixel spans [x0, x1) the mask blanks on each row of a `width` x `height` frame (spans may
 * overlap): every pixel a box touches, even in part, so scaling or JPEG cannot bring the edge of a
 * letter back; outside the outline, every pixel whose centre is outside. The one rasterisation that
 * every pixel format burns (`burnMask`, `burnMaskI420InPlace`).
 */
export function maskedRowSpans(mask: PrivacyMask, width: number, height: number): [number, number][][] {
  const rows: [number, number][][] = Array.from({ length: height }, () => []);
  if (mask.full) {
    for (const row of rows) row.push([0, width]);
    return rows;
  }
  if (mask.outside) {
    const spans = polygonRowSpans(mask.outside, width, height);
    for (let y = 0; y < height; y++) {
      const s = spans[y];
      if (!s) rows[y]!.push([0, width]);
      else {
        if (s[0] > 0) rows[y]!.push([0, s[0]]);
        if (s[1] < width) rows[y]!.push([s[1], width]);
      }
    }
  }
  for (const box of mask.boxes) {
    const { x0, y0, x1, y1 } = coveringPixels(box, width, height);
    if (x1 > x0) for (let y = y0; y < y1; y++) rows[y]!.push([x0, x1]);
  }
  return rows;
}

/**
 * A copy of the frame with the mask burned in (black), as `maskedRowSpans` lays it out. The frame
 * itself is left as it was.
 */
export function burnMask(frame: RgbFrame, mask: PrivacyMask): RgbFrame {
  checkRgbFrame(frame);
  const { width, height, stride } = frame;
  const data = Uint8Array.from(frame.data);
  const rows = maskedRowSpans(mask, width, height);
  for (let y = 0; y < height; y++) {
    for (const [x0, x1] of rows[y]!) data.fill(0, y * stride + x0 * 3, y * stride + x1 * 3);
  }
  return { ...frame, data };
}

/**
 * Whether frames of this GStreamer colorimetry use the full 0..255 range for luma (`jpeg`, or a
 * `range:matrix:transfer:primaries` form whose range is 1); otherwise video range, where black is 16.
 */
export function isFullRange(colorimetry: string | undefined): boolean {
  return colorimetry === 'jpeg' || colorimetry === 'sRGB' || /^1:/.test(colorimetry ?? '');
}

/**
 * Burns the mask (black) into an I420 frame's own pixels, as a decoder gave them, for a frame that is
 * about to be encoded again (the hub's de-identified copy): no colour conversion either way and no
 * copy. Luma is blanked exactly where `burnMask` blanks RGB; a chroma sample is blanked when any of
 * the four pixels it colours is, so no colour of a masked pixel remains. Black is luma 16 (0 for a
 * full-range `colorimetry`) and chroma 128.
 */
export function burnMaskI420InPlace(frame: I420Frame, mask: PrivacyMask): void {
  const { width, height, data, index } = frame;
  const layout = i420Layout(width, height);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new RangeError(`frame ${index}: size ${width}x${height} is not whole px`);
  if (data.length < layout.size)
    throw new RangeError(`frame ${index}: ${data.length} bytes cannot hold ${width}x${height} I420`);
  const black = isFullRange(frame.colorimetry) ? 0 : 16;
  const rows = maskedRowSpans(mask, width, height);
  const { yStride, uvStride, uOffset, vOffset } = layout;
  for (let y = 0; y < height; y++) {
    const spans = rows[y]!;
    if (spans.length === 0) continue;
    const uv = (y >> 1) * uvStride;
    for (const [x0, x1] of spans) {
      data.fill(black, y * yStride + x0, y * yStride + x1);
      const c0 = x0 >> 1;
      const c1 = (x1 + 1) >> 1;
      data.fill(128, uOffset + uv + c0, uOffset + uv + c1);
      data.fill(128, vOffset + uv + c0, vOffset + uv + c1);
    }
  }
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

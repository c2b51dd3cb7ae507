import type { Box } from '../messages/events.js';

/** A box grown by `share` of its own width and height on each side, clipped to the image (0..1). */
export function growBox(b: Box, share: number): Box {
  const x0 = Math.max(0, b.x - b.w * share);
  const y0 = Math.max(0, b.y - b.h * share);
  const x1 = Math.min(1, b.x + b.w * (1 + share));
  const y1 = Math.min(1, b.y + b.h * (1 + share));
  return { x: x0, y: y0, w: Math.max(0, x1 - x0), h: Math.max(0, y1 - y0) };
}

/** Intersection over union of two normalised boxes (0 when they do not overlap). */
export function iou(a: Box, b: Box): number {
  const w = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = w * h;
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}

/** Pixel rectangle [x0,x1) x [y0,y1) of an image that covers every pixel a normalised box touches. */
export interface PixelRect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Float noise ignored where a box edge meets a pixel edge (px): 0.7 * 10 must not reach pixel 7. */
const EDGE_NOISE = 1e-6;

/** The pixels of a `width` x `height` image that a box touches, even in part; empty when it has no area. */
export function coveringPixels(b: Box, width: number, height: number): PixelRect {
  const clip = (v: number, max: number) => Math.min(max, Math.max(0, v));
  const x0 = clip(Math.floor(b.x * width + EDGE_NOISE), width);
  const y0 = clip(Math.floor(b.y * height + EDGE_NOISE), height);
  const x1 = b.w > 0 ? clip(Math.ceil((b.x + b.w) * width - EDGE_NOISE), width) : x0;
  const y1 = b.h > 0 ? clip(Math.ceil((b.y + b.h) * height - EDGE_NOISE), height) : y0;
  return { x0, y0, x1: Math.max(x0, x1), y1: Math.max(y0, y1) };
}

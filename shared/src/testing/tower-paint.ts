/** Painting a tower clip's frame: room scenes, pasted portraits and on-screen-display text (see tower-clip.ts). */
import type { RgbFrame } from '../media/frame.js';
import type { Box } from '../messages/events.js';
import type { OsdText, Scene } from './tower-clip.js';

export function roomColour(
  scene: Scene,
  u: number,
  v: number,
  n: number,
  f: number,
): [number, number, number] {
  const wall: [number, number, number] = [
    215 + 25 * n - 30 * v,
    185 + 20 * n - 35 * v,
    140 + 15 * n - 30 * v,
  ];
  const curtain = (): [number, number, number] => {
    const fold = 0.6 + 0.4 * Math.sin(u * 90 + 2 * n);
    return [165 * fold + 20 * f, 28 * fold + 10 * f, 38 * fold + 10 * f];
  };
  switch (scene) {
    case 'skin':
      return [222 + 20 * n - 25 * f, 168 + 18 * n - 20 * f, 138 + 15 * n - 18 * f];
    case 'warm-wall':
      return [235 + 15 * n, 155 + 25 * n - 20 * v, 85 + 20 * n - 20 * v];
    case 'curtain':
      return curtain();
    default:
      if (v > 0.78) return [125 + 20 * f, 82 + 15 * f, 52 + 10 * f]; // floor
      if (u < 0.32) return curtain();
      if (u > 0.7 && u < 0.88 && v > 0.35) return [105 + 15 * f, 118 + 15 * f, 132 + 15 * f]; // a cabinet
      return wall;
  }
}

/** Pastes an image, resized (nearest), into a normalised box of the frame, inside the picture only. */
export function paste(
  data: Uint8Array,
  stride: number,
  W: number,
  H: number,
  image: RgbFrame,
  box: Box,
  mask: Uint8Array,
): void {
  const x0 = Math.round(box.x * W);
  const y0 = Math.round(box.y * H);
  const w = Math.round(box.w * W);
  const h = Math.round(box.h * H);
  for (let y = Math.max(0, y0); y < Math.min(H, y0 + h); y++) {
    const sy = Math.min(image.height - 1, Math.floor(((y - y0 + 0.5) * image.height) / h));
    for (let x = Math.max(0, x0); x < Math.min(W, x0 + w); x++) {
      if (!mask[y * W + x]) continue;
      const sx = Math.min(image.width - 1, Math.floor(((x - x0 + 0.5) * image.width) / w));
      const s = sy * image.stride + sx * 3;
      data.set(image.data.subarray(s, s + 3), y * stride + x * 3);
    }
  }
}

/** Paints one on-screen-display text in its style. */
export function paint(
  data: Uint8Array,
  stride: number,
  W: number,
  H: number,
  osd: OsdText,
  text: { width: number; height: number; alpha: Uint8Array },
): void {
  const pad = Math.round(osd.sizePx * 0.3);
  const colour: [number, number, number] =
    osd.colour ?? (osd.style === 'black-on-white' ? [0, 0, 0] : [255, 255, 255]);
  if (osd.style !== 'plain') {
    for (let y = Math.max(0, osd.y - pad); y < Math.min(H, osd.y + text.height + pad); y++) {
      for (let x = Math.max(0, osd.x - pad); x < Math.min(W, osd.x + text.width + pad); x++) {
        const p = y * stride + x * 3;
        for (let c = 0; c < 3; c++) {
          data[p + c] =
            osd.style === 'white-on-black'
              ? 0
              : osd.style === 'black-on-white'
                ? 255
                : Math.round(data[p + c]! * 0.35);
        }
      }
    }
  }
  for (let y = 0; y < text.height; y++) {
    const fy = osd.y + y;
    if (fy < 0 || fy >= H) continue;
    for (let x = 0; x < text.width; x++) {
      const fx = osd.x + x;
      if (fx < 0 || fx >= W) continue;
      const a = text.alpha[y * text.width + x]! / 255;
      if (a === 0) continue;
      const p = fy * stride + fx * 3;
      for (let c = 0; c < 3; c++) data[p + c] = Math.round(data[p + c]! * (1 - a) + colour[c]! * a);
    }
  }
}

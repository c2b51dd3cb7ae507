import type { Box } from '../messages/events.js';

export interface MapBoxOptions {
  /** Pixels above this probability belong to text. */
  threshold: number;
  /** A region is kept when its mean probability reaches this. */
  boxThreshold: number;
  /** Regions smaller than this many pixels are noise. */
  minPixels: number;
  /** Grows each box by area * ratio / perimeter pixels, as DB text detection does. */
  unclipRatio: number;
}

export const defaultMapBoxOptions: MapBoxOptions = {
  threshold: 0.3,
  boxThreshold: 0.6,
  minPixels: 12,
  unclipRatio: 1.5,
};

/**
 * Finds connected regions (4-neighbour) in a probability map of size width x height and returns
 * their bounding boxes, grown by the unclip ratio, in normalised coordinates.
 */
export function probabilityMapToBoxes(
  map: ArrayLike<number>,
  width: number,
  height: number,
  options: MapBoxOptions = defaultMapBoxOptions,
): Box[] {
  const seen = new Uint8Array(width * height);
  const stack = new Int32Array(width * height);
  const boxes: Box[] = [];
  for (let start = 0; start < width * height; start++) {
    if (seen[start] || map[start]! <= options.threshold) continue;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    let minX = width;
    let minY = height;
    let maxX = -1;
    let maxY = -1;
    let count = 0;
    let sum = 0;
    while (top > 0) {
      const i = stack[--top]!;
      const x = i % width;
      const y = (i - x) / width;
      count++;
      sum += map[i]!;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      const neighbours = [
        x > 0 ? i - 1 : -1,
        x < width - 1 ? i + 1 : -1,
        y > 0 ? i - width : -1,
        y < height - 1 ? i + width : -1,
      ];
      for (const n of neighbours) {
        if (n >= 0 && !seen[n] && map[n]! > options.threshold) {
          seen[n] = 1;
          stack[top++] = n;
        }
      }
    }
    if (count < options.minPixels || sum / count < options.boxThreshold) continue;
    const w = maxX - minX + 1;
    const h = maxY - minY + 1;
    const grow = (w * h * options.unclipRatio) / (2 * (w + h));
    const x0 = Math.max(0, minX - grow);
    const y0 = Math.max(0, minY - grow);
    const x1 = Math.min(width, maxX + 1 + grow);
    const y1 = Math.min(height, maxY + 1 + grow);
    boxes.push({ x: x0 / width, y: y0 / height, w: (x1 - x0) / width, h: (y1 - y0) / height });
  }
  return boxes;
}

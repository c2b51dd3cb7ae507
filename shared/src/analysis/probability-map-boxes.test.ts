import { describe, expect, it } from 'vitest';
import { probabilityMapToBoxes } from './probability-map-boxes.js';

function mapWith(width: number, height: number, rects: [number, number, number, number, number][]) {
  const map = new Float32Array(width * height);
  for (const [x0, y0, w, h, p] of rects) {
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) map[y * width + x] = p;
  }
  return map;
}

describe('probabilityMapToBoxes', () => {
  it('finds one box per connected region, grown and normalised', () => {
    const map = mapWith(100, 50, [
      [10, 5, 30, 6, 0.9],
      [60, 30, 20, 10, 0.8],
    ]);
    const boxes = probabilityMapToBoxes(map, 100, 50, {
      threshold: 0.3,
      boxThreshold: 0.6,
      minPixels: 4,
      unclipRatio: 0,
    });
    expect(boxes).toEqual([
      { x: 0.1, y: 0.1, w: 0.3, h: 0.12 },
      { x: 0.6, y: 0.6, w: 0.2, h: 0.2 },
    ]);
  });

  it('drops weak and tiny regions, and clips growth to the image', () => {
    const map = mapWith(40, 40, [
      [0, 0, 10, 10, 0.5],
      [20, 20, 1, 2, 0.99],
      [30, 30, 10, 10, 0.95],
    ]);
    const boxes = probabilityMapToBoxes(map, 40, 40, {
      threshold: 0.3,
      boxThreshold: 0.6,
      minPixels: 4,
      unclipRatio: 1.5,
    });
    expect(boxes).toHaveLength(1);
    const [box] = boxes;
    expect(box!.x).toBeLessThan(0.75);
    expect(box!.x + box!.w).toBeCloseTo(1);
  });
});

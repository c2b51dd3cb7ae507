import { describe, expect, it } from 'vitest';
import { coveringPixels, growBox } from './box-geometry.js';

describe('growBox', () => {
  it('grows by a share of the box on each side and clips to the image', () => {
    const grown = growBox({ x: 0.4, y: 0.4, w: 0.2, h: 0.1 }, 0.25);
    expect(grown.x).toBeCloseTo(0.35, 9);
    expect(grown.y).toBeCloseTo(0.375, 9);
    expect(grown.w).toBeCloseTo(0.3, 9);
    expect(grown.h).toBeCloseTo(0.15, 9);
    const clipped = growBox({ x: 0, y: 0.9, w: 0.5, h: 0.1 }, 1);
    expect(clipped).toMatchObject({ x: 0, w: 1 });
    expect(clipped.y).toBeCloseTo(0.8, 9);
    expect(clipped.h).toBeCloseTo(0.2, 9);
  });
});

describe('coveringPixels', () => {
  it('covers every pixel a box touches, even in part, but not one it only meets at an edge', () => {
    expect(coveringPixels({ x: 0.25, y: 0.3, w: 0.25, h: 0.3 }, 10, 4)).toEqual({
      x0: 2,
      y0: 1,
      x1: 5,
      y1: 3,
    });
    // 0.3 + 0.4 is 0.7000000000000001: pixel 7 is met at its edge, not touched.
    expect(coveringPixels({ x: 0.3, y: 0, w: 0.4, h: 1 }, 10, 4)).toEqual({ x0: 3, y0: 0, x1: 7, y1: 4 });
  });

  it('is empty for a box with no area and clipped for one past the image', () => {
    expect(coveringPixels({ x: 0.5, y: 0.5, w: 0, h: 0.2 }, 10, 10)).toEqual({ x0: 5, y0: 5, x1: 5, y1: 7 });
    expect(coveringPixels({ x: 0.9, y: 0.9, w: 0.5, h: 0.5 }, 10, 10)).toEqual({
      x0: 9,
      y0: 9,
      x1: 10,
      y1: 10,
    });
  });
});

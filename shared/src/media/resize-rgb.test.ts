import { describe, expect, it } from 'vitest';
import { type RgbFrame, rgbStride } from './frame.js';
import { letterboxRgb, resizeRgb } from './resize-rgb.js';

function frame(width: number, height: number, pixel: (x: number, y: number) => number[]): RgbFrame {
  const stride = rgbStride(width);
  const data = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), y * stride + x * 3);
  return { data, width, height, stride, index: 3, ptsMs: 40 };
}

describe('resizeRgb', () => {
  it('keeps a flat colour flat and pads rows as GStreamer does', () => {
    const out = resizeRgb(
      frame(7, 5, () => [10, 120, 250]),
      { width: 5, height: 3 },
    );
    expect([out.width, out.height, out.stride, out.index]).toEqual([5, 3, 16, 3]);
    for (let y = 0; y < 3; y++)
      for (let x = 0; x < 5; x++) {
        expect([...out.data.subarray(y * 16 + x * 3, y * 16 + x * 3 + 3)]).toEqual([10, 120, 250]);
      }
  });

  it('keeps a black band black where it covered whole source pixels, and blends its edge', () => {
    // Left half black, right half white, scaled up x2: columns well inside each half keep their colour.
    const out = resizeRgb(
      frame(8, 2, (x) => (x < 4 ? [0, 0, 0] : [255, 255, 255])),
      { width: 16, height: 4 },
    );
    const at = (x: number, y: number) => out.data[y * out.stride + x * 3]!;
    expect([at(0, 0), at(6, 2), at(9, 1), at(15, 3)]).toEqual([0, 0, 255, 255]);
    expect(at(7, 0)).toBeGreaterThan(0);
    expect(at(7, 0)).toBeLessThan(255);
  });

  it('refuses a size that is not whole pixels', () => {
    expect(() =>
      resizeRgb(
        frame(2, 2, () => [0, 0, 0]),
        { width: 0, height: 2 },
      ),
    ).toThrow(RangeError);
  });
});

describe('letterboxRgb', () => {
  it('keeps the aspect, centred between black bands', () => {
    const out = letterboxRgb(
      frame(16, 9, () => [200, 30, 30]),
      { width: 32, height: 32 },
    );
    expect([out.width, out.height, out.stride]).toEqual([32, 32, 96]);
    const at = (x: number, y: number) => [
      ...out.data.subarray(y * out.stride + x * 3, y * out.stride + x * 3 + 3),
    ];
    // 16x9 into 32x32: 32x18 in the middle, 7 rows of black above and below.
    expect(at(0, 6)).toEqual([0, 0, 0]);
    expect(at(0, 7)).toEqual([200, 30, 30]);
    expect(at(31, 24)).toEqual([200, 30, 30]);
    expect(at(31, 25)).toEqual([0, 0, 0]);
  });
});

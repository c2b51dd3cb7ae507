import { describe, expect, it } from 'vitest';
import { type RgbFrame, rgbStride } from '../media/frame.js';
import { lumaDifference, motionScore, sampleLuma } from './motion.js';

function flat(width: number, height: number, rgb: [number, number, number]): RgbFrame {
  const stride = rgbStride(width);
  const data = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(rgb, y * stride + x * 3);
  return { data, width, height, stride, index: 0, ptsMs: 0 };
}

describe('motionScore', () => {
  it('is 0 for identical frames and 1 for black against white', () => {
    const black = flat(63, 41, [0, 0, 0]); // odd width: rows are padded to 4 bytes
    const white = flat(63, 41, [255, 255, 255]);
    expect(motionScore(black, black)).toBe(0);
    expect(motionScore(black, white)).toBeCloseTo(1, 2);
  });

  it('measures the mean luma change, so half the frame changing scores about half', () => {
    const a = flat(64, 64, [0, 0, 0]);
    const b = flat(64, 64, [0, 0, 0]);
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 64; x++) b.data.set([255, 255, 255], y * b.stride + x * 3);
    expect(motionScore(a, b)).toBeCloseTo(0.5, 2);
    // Red weighs less than green in luma.
    expect(motionScore(a, flat(64, 64, [255, 0, 0]))).toBeLessThan(motionScore(a, flat(64, 64, [0, 255, 0])));
  });

  it('refuses frames of different sizes, and a grid step that is not a whole px', () => {
    expect(() => motionScore(flat(64, 64, [0, 0, 0]), flat(64, 32, [0, 0, 0]))).toThrow(RangeError);
    expect(() => sampleLuma(flat(8, 8, [0, 0, 0]), 0)).toThrow(/whole px/);
    const a = sampleLuma(flat(64, 64, [0, 0, 0]), 4);
    expect(() => lumaDifference(a, sampleLuma(flat(64, 64, [0, 0, 0]), 8))).toThrow(/one size and grid/);
  });

  it('samples frames smaller than the grid step at least once', () => {
    expect(sampleLuma(flat(3, 2, [255, 255, 255])).values).toEqual(new Uint8Array([255]));
  });
});

import { describe, expect, it } from 'vitest';
import { checkRgbFrame, rgbStride } from './frame.js';

describe('checkRgbFrame', () => {
  const width = 5; // odd, so rows are padded: stride 16 bytes
  const height = 3;
  const stride = rgbStride(width);

  it('accepts a frame whose last row is not padded, and one with padding', () => {
    const tight = stride * (height - 1) + width * 3;
    expect(() =>
      checkRgbFrame({ data: new Uint8Array(tight), width, height, stride, index: 0, ptsMs: 0 }),
    ).not.toThrow();
    expect(() =>
      checkRgbFrame({ data: new Uint8Array(stride * height), width, height, stride, index: 0, ptsMs: 0 }),
    ).not.toThrow();
  });

  it('refuses a truncated buffer, a short stride and a size that is not whole px, naming the frame', () => {
    const frame = { data: new Uint8Array(stride * height), width, height, stride, index: 7, ptsMs: 0 };
    expect(() => checkRgbFrame({ ...frame, data: frame.data.subarray(0, 20) })).toThrow(
      /frame 7: 20 bytes cannot hold 5x3 RGB at stride 16/,
    );
    expect(() => checkRgbFrame({ ...frame, stride: 14 })).toThrow(/stride 14 is under 15 bytes/);
    expect(() => checkRgbFrame({ ...frame, width: 0 })).toThrow(RangeError);
    expect(() => checkRgbFrame({ ...frame, height: 2.5 })).toThrow(/not whole px/);
  });
});

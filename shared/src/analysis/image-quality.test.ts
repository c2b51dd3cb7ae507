import { describe, expect, it } from 'vitest';
import { type RgbFrame, rgbStride } from '../media/frame.js';
import { assessQuality } from './image-quality.js';

function frame(
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number],
): RgbFrame {
  const stride = rgbStride(width);
  const data = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), y * stride + x * 3);
  return { data, width, height, stride, index: 0, ptsMs: 0 };
}

describe('assessQuality', () => {
  it('sees a flat red frame as in-body and blurred', () => {
    const q = assessQuality(frame(63, 40, () => [150, 60, 50]));
    expect(q.inBody).toBe(true);
    expect(q.blurred).toBe(true);
    expect(q.exposure).toBe('ok');
  });

  it('sees a sharp grey checkerboard as sharp and out of body', () => {
    const q = assessQuality(
      frame(64, 64, (x, y) => (((x >> 2) + (y >> 2)) % 2 ? [200, 200, 200] : [40, 40, 40])),
    );
    expect(q.inBody).toBe(false);
    expect(q.blurred).toBe(false);
    expect(q.sharpness).toBeGreaterThan(100);
  });

  it('flags under- and over-exposure', () => {
    expect(assessQuality(frame(32, 32, () => [5, 5, 5])).exposure).toBe('under');
    expect(assessQuality(frame(32, 32, () => [250, 250, 250])).exposure).toBe('over');
  });
});

import { describe, expect, it } from 'vitest';
import { decodeImage } from './decode-image.js';
import { encodeJpeg } from './encode-jpeg.js';
import { type RgbFrame, rgbStride } from './frame.js';

/** Left half red, right half blue; rows `stride` bytes apart. */
function halves(width: number, height: number, stride = rgbStride(width)): RgbFrame {
  const data = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      data.set(x < width / 2 ? [230, 20, 20] : [20, 20, 230], y * stride + x * 3);
  return { data, width, height, stride, index: 4, ptsMs: 0 };
}

const at = (f: RgbFrame, x: number, y: number) => [
  ...f.data.subarray(y * f.stride + x * 3, y * f.stride + x * 3 + 3),
];

describe('encodeJpeg', () => {
  it('writes a JPEG that decodes back to the picture, at the frame size', async () => {
    const frame = halves(161, 90); // odd width: padded rows
    const jpeg = await encodeJpeg(frame, { quality: 90 });
    expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    const back = await decodeImage(jpeg, { width: 161, height: 90 });
    const [r, , b] = at(back, 20, 45);
    expect(r).toBeGreaterThan(190);
    expect(b).toBeLessThan(60);
    const [r2, , b2] = at(back, 140, 45);
    expect(r2).toBeLessThan(60);
    expect(b2).toBeGreaterThan(190);
  });

  it('scales to the asked width keeping the aspect ratio, from a frame with extra row padding', async () => {
    const frame = halves(640, 360, 640 * 3 + 64);
    const jpeg = await encodeJpeg(frame, { quality: 80, width: 320 });
    // JPEG SOF0 (0xFFC0) holds height then width.
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
    expect(sof).toBeGreaterThan(0);
    expect([jpeg.readUInt16BE(sof + 5), jpeg.readUInt16BE(sof + 7)]).toEqual([180, 320]);
    const back = await decodeImage(jpeg, { width: 320, height: 180 });
    expect(at(back, 40, 90)[0]).toBeGreaterThan(190);
    expect(at(back, 280, 90)[2]).toBeGreaterThan(190);
  });

  it('makes smaller files at lower quality', async () => {
    const frame = halves(320, 180);
    for (let i = 0; i < frame.data.length; i += 7) frame.data[i] = (i * 31) & 255; // detail to compress
    const high = await encodeJpeg(frame, { quality: 95 });
    const low = await encodeJpeg(frame, { quality: 20 });
    expect(low.length).toBeLessThan(high.length);
  });

  it('refuses a quality or width out of range, and a truncated frame', () => {
    const frame = halves(32, 16);
    expect(() => encodeJpeg(frame, { quality: 0 })).toThrow(/quality must be a whole number 1..100/);
    expect(() => encodeJpeg(frame, { quality: 80, width: 0 })).toThrow(/width must be whole px/);
    expect(() => encodeJpeg({ ...frame, data: frame.data.subarray(0, 10) }, { quality: 80 })).toThrow(
      /frame 4: 10 bytes/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { type RgbFrame, rgbStride } from '../media/frame.js';
import type { ModelManifest } from './model-manifest.js';
import { passTensor } from './pass-tensor.js';
import { type DetectionPass, LIGHT_SCAN_SCALE, planPasses, STRETCHED_INPUT } from './text-detector.js';

type ModelInput = ModelManifest['input'];

/** The tensor as it was written per pixel before the lookup tables: what passTensor must equal, float for float. */
function perPixel(
  frame: RgbFrame,
  pass: DetectionPass,
  input: ModelInput,
  out: Float32Array,
  offset: number,
) {
  const { inputWidth: W, inputHeight: H } = pass;
  const plane = W * H;
  const bgr = input.colorOrder === 'BGR';
  const nchw = input.layout === 'NCHW';
  const cw = Math.min(W, Math.round((pass.x1 - pass.x0) * pass.scaleX));
  const chh = Math.min(H, Math.round((pass.y1 - pass.y0) * pass.scaleY));
  for (let c = 0; c < 3; c++) {
    const black = (0 - input.mean[c as 0 | 1 | 2]) / input.std[c as 0 | 1 | 2];
    for (let i = 0; i < plane; i++) out[offset + (nchw ? c * plane + i : i * 3 + c)] = black;
  }
  for (let y = 0; y < chh; y++) {
    const row = Math.min(frame.height - 1, pass.y0 + Math.floor((y + 0.5) / pass.scaleY)) * frame.stride;
    for (let x = 0; x < cw; x++) {
      const p = row + Math.min(frame.width - 1, pass.x0 + Math.floor((x + 0.5) / pass.scaleX)) * 3;
      const i = y * W + x;
      for (let c = 0; c < 3; c++) {
        const v = frame.data[p + (bgr ? 2 - c : c)]! / 255;
        out[offset + (nchw ? c * plane + i : i * 3 + c)] =
          (v - input.mean[c as 0 | 1 | 2]) / input.std[c as 0 | 1 | 2];
      }
    }
  }
}

/** A frame of random bytes (seeded), stride padded as GStreamer pads it. */
function noiseFrame(width: number, height: number, seed: number): RgbFrame {
  const stride = rgbStride(width);
  const data = new Uint8Array(stride * height);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  return { data, width, height, stride, index: 0, ptsMs: 0 };
}

const pp: ModelInput = {
  name: 'x',
  layout: 'NCHW',
  colorOrder: 'BGR',
  width: 1280,
  height: 1280,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

describe('passTensor', () => {
  const cases: [string, number, number, Parameters<typeof planPasses>[2]][] = [
    ['720p full scan (one pass, padded below)', 1280, 720, { maxSide: 1280, minScale: 0.66 }],
    ['720p light scan', 1280, 720, LIGHT_SCAN_SCALE],
    ['1080p full scan, scaled down', 1920, 1080, { maxSide: 1280, minScale: 0.66 }],
    ['4K tiled at the least scale', 3840, 2160, { maxSide: 1280, minScale: 0.66 }],
    ['odd 5:4 size, padded right and below', 1283, 1021, { maxSide: 640, minScale: 0.3 }],
    ['the old stretch', 1280, 720, { maxSide: 1280, minScale: 0.66, stretchTo: STRETCHED_INPUT }],
  ];
  for (const [name, width, height, scale] of cases) {
    for (const input of [pp, { ...pp, layout: 'NHWC', colorOrder: 'RGB' } satisfies ModelInput]) {
      it(`writes the same floats as per pixel: ${name}, ${input.layout} ${input.colorOrder}`, () => {
        const frame = noiseFrame(width, height, width + height);
        for (const pass of planPasses(width, height, scale)) {
          const size = 3 * pass.inputWidth * pass.inputHeight;
          // Written after other data at an offset, as a batch is: nothing outside its own span is touched.
          const expected = new Float32Array(size + 10).fill(7);
          const actual = new Float32Array(size + 10).fill(7);
          perPixel(frame, pass, input, expected, 5);
          passTensor(frame, pass, input, actual, 5);
          expect(Buffer.from(actual.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
        }
      });
    }
  }
});

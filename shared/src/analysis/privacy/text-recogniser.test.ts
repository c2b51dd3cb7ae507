import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RgbFrame, rgbStride } from '../../media/frame.js';
import { renderText } from '../../testing/text-render.js';
import { resolveModel } from '../model-manifest.js';
import { decodeCtc, judgeReading, loadTextRecogniser, type TextRecogniser } from './text-recogniser.js';

const models = join(import.meta.dirname, '..', '..', '..', '..', 'models');
const W = 640;
const H = 240;

/** Mucosa-red frame. */
function mucosa(): RgbFrame {
  const stride = rgbStride(W);
  const data = new Uint8Array(stride * H);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) data.set([165 + ((x * 3) % 25), 60, 52], y * stride + x * 3);
  return { data, width: W, height: H, stride, index: 0, ptsMs: 0 };
}

function white(
  frame: RgbFrame,
  x0: number,
  y0: number,
  draw: (x: number, y: number) => boolean,
  w: number,
  h: number,
) {
  for (let y = y0; y < y0 + h; y++)
    for (let x = x0; x < x0 + w; x++)
      if (draw(x - x0, y - y0)) frame.data.set([255, 255, 255], y * frame.stride + x * 3);
}

describe('decodeCtc and judgeReading', () => {
  it('collapses repeats and drops blanks', () => {
    // Steps: a, a, blank, a, b over classes [blank, a, b].
    const probs = Float32Array.from([0.1, 0.8, 0.1, 0.1, 0.9, 0, 0.9, 0.1, 0, 0.2, 0.7, 0.1, 0, 0.1, 0.9]);
    expect(decodeCtc(probs, 5, 3, ['a', 'b'])).toEqual({
      chars: ['a', 'a', 'b'],
      confidences: [0.8, 0.7, 0.9].map(Math.fround),
    });
  });

  it('wants two confident letters or digits, a high mean, and mostly letters or digits', () => {
    expect(judgeReading(['1', '9', '6', '1'], [0.99, 0.98, 0.97, 0.99], 0.6).isText).toBe(true);
    expect(judgeReading(['1'], [0.99], 0.6).isText).toBe(false);
    expect(judgeReading(['1', '/', '1', '-', '+', '1'], [0.7, 0.5, 0.7, 0.6, 0.6, 0.7], 0.6).isText).toBe(
      false,
    );
    expect(judgeReading(['.', '.', '+', 'i'], [0.99, 0.99, 0.99, 0.99], 0.6).isText).toBe(false);
  });
});

describe('loadTextRecogniser (PP-OCRv4 rec)', () => {
  let recogniser: TextRecogniser;

  beforeAll(async () => {
    recogniser = await loadTextRecogniser(await resolveModel(join(models, 'pp-ocrv4-rec.json')), ['cpu']);
  });

  afterAll(async () => {
    await recogniser?.close();
  });

  it('reads print of 10 to 28 px as text, and rows of glints as not text, in one run', async () => {
    const frame = mucosa();
    const boxes = [];
    let y = 10;
    for (const [text, font, size] of [
      ['KOWALCZYK', 'DejaVu Sans Bold', 28],
      ['1961-03-14', 'Liberation Sans', 12],
      ['ST ELSEWHERE', 'FreeSans', 10],
    ] as const) {
      const t = await renderText(text, font, size);
      white(frame, 20, y, (x, yy) => t.alpha[yy * t.width + x]! > 128, t.width, t.height);
      boxes.push({ x: 20 / W, y: y / H, w: t.width / W, h: t.height / H });
      y += t.height + 20;
    }
    // Glints along a fold: short bright strokes in a row, which a text detector takes for print.
    white(frame, 300, 150, (x, yy) => x % 13 < 2 && yy > x % 5 && yy < 12, 180, 16);
    boxes.push({ x: 296 / W, y: 148 / H, w: 190 / W, h: 20 / H });
    const readings = await recogniser.read(frame, boxes);
    expect(readings.map((r) => r.isText)).toEqual([true, true, true, false]);
    expect(readings[0]!.text).toBe('KOWALCZYK');
    expect(readings[1]!.text).toBe('1961-03-14');
    expect(await recogniser.read(frame, [])).toEqual([]);
  });
});

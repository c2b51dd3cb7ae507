import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RgbFrame, rgbStride } from '../media/frame.js';
import type { Box } from '../messages/events.js';
import { sampleClipFrames } from '../testing/sample-frames.js';
import { renderText } from '../testing/text-render.js';
import { resolveModel } from './model-manifest.js';
import { joinTextLines } from './privacy/text-lines.js';
import {
  LIGHT_SCAN_SCALE,
  loadTextDetector,
  planPasses,
  STRETCHED_INPUT,
  type TextDetector,
} from './text-detector.js';

const models = join(import.meta.dirname, '..', '..', '..', 'models');

/** Largest difference between matching box coordinates (normalised), or Infinity when counts differ. */
function largestDifference(a: Box[], b: Box[]): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  return Math.max(
    0,
    ...a.flatMap((box, i) => {
      const other = b[i]!;
      return [box.x - other.x, box.y - other.y, box.w - other.w, box.h - other.h].map(Math.abs);
    }),
  );
}

describe('loadTextDetector (PP-OCRv4 det) on the sample clip', () => {
  let detector: TextDetector;
  let frames: RgbFrame[];

  beforeAll(async () => {
    detector = await loadTextDetector(await resolveModel(join(models, 'pp-ocrv4-det.json')), ['cpu']);
    frames = await sampleClipFrames(3, { width: 512, height: 288 });
  });

  afterAll(async () => {
    await detector?.close();
  });

  it('reads the batch dimension as dynamic from the session', () => {
    expect(detector.batchSupport).toBe('dynamic');
  });

  it('finds the same text boxes in a batch of three frames as one frame at a time', async () => {
    const three = frames;
    const batched = await detector.detectBatch(three);
    const single: Box[][] = [];
    for (const frame of three) single.push(await detector.detect(frame));
    expect(batched).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      // The identity band and the clock: text in every frame, so the comparison is not of empty lists.
      expect(single[i]!.length).toBeGreaterThanOrEqual(2);
      // Boxes come from whole map pixels, so any real difference is >= 1/512; 1e-3 allows float noise only.
      expect(largestDifference(batched[i]!, single[i]!)).toBeLessThan(1e-3);
    }
  });
});

describe('planPasses', () => {
  const scale = { maxSide: 1280, minScale: 0.66 };

  it('reads a 1080p or 5:4 frame in one pass, aspect kept, small print above 6 px', () => {
    const [hd] = planPasses(1920, 1080, scale);
    expect(hd).toMatchObject({ x0: 0, y0: 0, x1: 1920, y1: 1080, inputWidth: 1280, inputHeight: 736 });
    expect(hd!.scaleX).toBeCloseTo(2 / 3);
    expect(hd!.scaleY).toBe(hd!.scaleX);
    expect(planPasses(1280, 1024, scale)).toEqual([
      { x0: 0, y0: 0, x1: 1280, y1: 1024, scaleX: 1, scaleY: 1, inputWidth: 1280, inputHeight: 1024 },
    ]);
    // A small frame is never enlarged.
    expect(planPasses(640, 360, scale)[0]).toMatchObject({ scaleX: 1, inputWidth: 640, inputHeight: 384 });
  });

  it('tiles a frame too large for one pass at the least scale, with overlapping tiles covering it', () => {
    const passes = planPasses(3840, 2160, scale);
    expect(passes.length).toBe(6);
    for (const p of passes) {
      expect(p.scaleX).toBeCloseTo(0.66);
      expect(p.inputWidth).toBeLessThanOrEqual(1280);
      expect(p.inputHeight).toBeLessThanOrEqual(1280);
    }
    expect(Math.min(...passes.map((p) => p.x0))).toBe(0);
    expect(Math.max(...passes.map((p) => p.x1))).toBe(3840);
    expect(Math.max(...passes.map((p) => p.y1))).toBe(2160);
  });

  it('stretches the whole frame into 512x288 the old way only when asked', () => {
    expect(planPasses(1280, 1024, { ...scale, stretchTo: STRETCHED_INPUT })).toEqual([
      { x0: 0, y0: 0, x1: 1280, y1: 1024, scaleX: 0.4, scaleY: 0.28125, inputWidth: 512, inputHeight: 288 },
    ]);
  });
});

describe('the text detector on small print in a 1080p frame', () => {
  let detector: TextDetector;
  let stretched: TextDetector;

  beforeAll(async () => {
    const model = await resolveModel(join(models, 'pp-ocrv4-det.json'));
    detector = await loadTextDetector(model, ['cpu']);
    stretched = await loadTextDetector(model, ['cpu'], {
      maxSide: 1280,
      minScale: 1,
      stretchTo: STRETCHED_INPUT,
    });
  });

  afterAll(async () => {
    await detector?.close();
    await stretched?.close();
  });

  it('finds 10 px glyphs whole, from the first character to the last; the old 512x288 stretch does not', async () => {
    const width = 1920;
    const height = 1080;
    const stride = rgbStride(width);
    const data = new Uint8Array(stride * height);
    const placed: Box[] = [];
    let y = 40;
    for (const size of [10, 14, 20, 32]) {
      const t = await renderText('KOWALCZYK MAGDALENA 1961-03-14 MRN 00784213', 'DejaVu Sans', size);
      for (let yy = 0; yy < t.height; yy++)
        for (let x = 0; x < t.width; x++)
          data.fill(
            t.alpha[yy * t.width + x]!,
            (y + yy) * stride + (60 + x) * 3,
            (y + yy) * stride + (60 + x) * 3 + 3,
          );
      placed.push({ x: 60 / width, y: y / height, w: t.width / width, h: t.height / height });
      y += 3 * size;
    }
    const frame: RgbFrame = { data, width, height, stride, index: 0, ptsMs: 0 };
    const covered = (lines: Box[], p: Box) =>
      lines.some(
        (l) =>
          l.x <= p.x + 2 / width &&
          l.x + l.w >= p.x + p.w - 2 / width &&
          l.y <= p.y + p.h / 2 &&
          l.y + l.h >= p.y + p.h / 2,
      );
    const lines = joinTextLines(await detector.detect(frame), frame);
    for (const p of placed) expect(covered(lines, p), `line at y ${Math.round(p.y * height)}`).toBe(true);
    const old = joinTextLines(await stretched.detect(frame), frame);
    expect(covered(old, placed[0]!)).toBe(false);
    // A light scan (between full ones on a live source) reads the frame at about a quarter of its size: the
    // banner-sized line is still found whole (small print is left to the next full scan).
    const [light] = await detector.detectBatch([frame], LIGHT_SCAN_SCALE);
    const lightLines = joinTextLines(light!, frame);
    expect(covered(lightLines, placed[3]!)).toBe(true);
    await expect(detector.detectBatch([frame], { maxSide: 100, minScale: 0.5 })).rejects.toThrow(
      /multiple of 32/,
    );
  });
});

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RgbFrame } from '../media/frame.js';
import type { Box } from '../messages/events.js';
import { sampleClipFrames } from '../testing/sample-frames.js';
import { resolveModel } from './model-manifest.js';
import { loadTextDetector, type TextDetector } from './text-detector.js';

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

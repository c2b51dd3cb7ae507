import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RgbFrame, rgbStride } from '../media/frame.js';
import { detectionSchema } from '../messages/events.js';
import { buildTinyPolypDetector, tinyPolypManifest } from '../testing/tiny-polyp-model.js';
import { type ResolvedModel, resolveModel } from './model-manifest.js';
import { decodeDetections, loadPolypDetector, type PolypDetector } from './polyp-detector.js';

const MODEL = { width: 64, height: 48 }; // model input, px
const FRAME = { width: 128, height: 96 }; // decoded frame, px: twice the model input

/** A grey frame, with pure red over [x0,x1) x [y0,y1) when a rectangle is given (frame px). */
function frame(red?: { x0: number; y0: number; x1: number; y1: number }): RgbFrame {
  const stride = rgbStride(FRAME.width);
  const data = new Uint8Array(stride * FRAME.height).fill(128);
  if (red) {
    for (let y = red.y0; y < red.y1; y++) {
      for (let x = red.x0; x < red.x1; x++) data.set([255, 0, 0], y * stride + x * 3);
    }
  }
  return { data, ...FRAME, stride, index: 0, ptsMs: 0 };
}

describe('loadPolypDetector with the tiny generated model', () => {
  let dir: string;
  let model: ResolvedModel;
  let detector: PolypDetector;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gic-polyp-'));
    const onnx = buildTinyPolypDetector(MODEL);
    mkdirSync(join(dir, 'tiny-polyp'));
    writeFileSync(join(dir, 'tiny-polyp', 'model.onnx'), onnx);
    const sha256 = createHash('sha256').update(onnx).digest('hex');
    const manifest = tinyPolypManifest(sha256, MODEL.width, MODEL.height);
    writeFileSync(join(dir, 'tiny-polyp.json'), JSON.stringify(manifest, null, 2));
    model = await resolveModel(join(dir, 'tiny-polyp.json'));
    detector = await loadPolypDetector(model, ['cpu']);
  });

  afterAll(async () => {
    await detector?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('says which model and provider it runs', () => {
    expect(detector.ref).toEqual({ id: 'tiny-polyp', version: '1.0.0', executionProvider: 'cpu' });
  });

  it('finds nothing in a grey frame', async () => {
    expect(await detector.detect(frame())).toEqual([]);
  });

  it('finds a red square in the bottom-right quadrant as one polyp there', async () => {
    // Covers about 70% of the quadrant, so its mean R - G is about 0.7.
    const detections = await detector.detect(frame({ x0: 70, y0: 52, x1: 124, y1: 92 }));
    expect(detections).toHaveLength(1);
    const [d] = detections;
    expect(d?.label).toBe('polyp');
    expect(d?.modelId).toBe('tiny-polyp');
    expect(d?.score).toBeGreaterThan(0.5);
    expect(d?.score).toBeLessThan(0.8);
    expect(d?.box.x).toBeCloseTo(0.5, 5);
    expect(d?.box.y).toBeCloseTo(0.5, 5);
    expect(d?.box.w).toBeCloseTo(0.5, 5);
    expect(d?.box.h).toBeCloseTo(0.5, 5);
    expect(() => detectionSchema.parse(d)).not.toThrow();
  });

  it('runs a batch in one go, with the same detections as one frame at a time', async () => {
    expect(detector.batchSupport).toBe('dynamic');
    const frames = [
      frame({ x0: 70, y0: 52, x1: 124, y1: 92 }),
      frame(),
      frame({ x0: 0, y0: 0, x1: 64, y1: 48 }),
    ];
    const batched = await detector.detectBatch(frames);
    const single = [];
    for (const f of frames) single.push(await detector.detect(f));
    expect(batched).toEqual(single);
    expect(batched.map((d) => d.map((x) => [x.box.x, x.box.y]))).toEqual([[[0.5, 0.5]], [], [[0, 0]]]);
  });

  it('runs a model with a fixed batch of 1 once a frame, with the same detections', async () => {
    const fixedDir = join(dir, 'fixed');
    const onnx = buildTinyPolypDetector({ ...MODEL, batch: 1 });
    mkdirSync(join(fixedDir, 'tiny-polyp'), { recursive: true });
    writeFileSync(join(fixedDir, 'tiny-polyp', 'model.onnx'), onnx);
    const sha256 = createHash('sha256').update(onnx).digest('hex');
    const manifest = tinyPolypManifest(sha256, MODEL.width, MODEL.height);
    writeFileSync(join(fixedDir, 'tiny-polyp.json'), JSON.stringify(manifest));
    const fixed = await loadPolypDetector(await resolveModel(join(fixedDir, 'tiny-polyp.json')), ['cpu']);
    expect(fixed.batchSupport).toBe('fixed');
    const frames = [frame({ x0: 70, y0: 52, x1: 124, y1: 92 }), frame()];
    expect(await fixed.detectBatch(frames)).toEqual(await detector.detectBatch(frames));
    await fixed.close();
  });

  it('refuses a manifest naming an output the model lacks, and names it', async () => {
    const { output } = model.manifest;
    const wrong = {
      ...model,
      manifest: {
        ...model.manifest,
        output: { ...output, names: { ...output.names!, scores: 'confidences' } },
      },
    };
    await expect(loadPolypDetector(wrong, ['cpu'])).rejects.toThrow(
      /model tiny-polyp: output confidences \(scores\) not found; .*outputs boxes, scores, labels/,
    );
  });

  it('refuses polyp segmentation as not supported yet, and other tasks as not a polyp detector', async () => {
    const { manifest } = model;
    const segmenter = {
      ...model,
      manifest: {
        ...manifest,
        task: 'polyp-segmentation' as const,
        output: { ...manifest.output, kind: 'masks' as const },
      },
    };
    await expect(loadPolypDetector(segmenter)).rejects.toThrow(/polyp segmentation .* not supported yet/);
    const text = { ...model, manifest: { ...manifest, task: 'text-detection' as const } };
    await expect(loadPolypDetector(text)).rejects.toThrow(/task text-detection .* is not a polyp detector/);
  });
});

describe('decodeDetections', () => {
  const options = { modelId: 'm', labels: ['polyp', 'adenoma'], threshold: 0.5 };

  it('keeps candidates at or over the threshold, highest score first, with their labels', () => {
    const found = decodeDetections(
      {
        boxes: [0, 0, 0.1, 0.1, 0.2, 0.2, 0.1, 0.1, 0.4, 0.4, 0.1, 0.1],
        scores: [0.5, 0.49, 0.9],
        classes: [0, 0, 1],
      },
      options,
    );
    expect(found.map((d) => [d.label, d.score])).toEqual([
      ['adenoma', 0.9],
      ['polyp', 0.5],
    ]);
  });

  it('clips boxes to the image and drops those left with no area or not finite', () => {
    const found = decodeDetections(
      { boxes: [-0.2, 0.9, 0.5, 0.5, 1.2, 0, 0.1, 0.1, Number.NaN, 0, 1, 1], scores: [0.8, 0.9, 0.9] },
      options,
    );
    expect(found).toHaveLength(1);
    expect(found[0]?.box.x).toBe(0);
    expect(found[0]?.box.y).toBeCloseTo(0.9, 6);
    expect(found[0]?.box.w).toBeCloseTo(0.3, 6);
    expect(found[0]?.box.h).toBeCloseTo(0.1, 6);
  });

  it('keeps at most 100, names unknown classes by index, and checks that counts agree', () => {
    const n = 150;
    const boxes = Array.from({ length: n * 4 }, () => 0.25);
    const scores = Array.from({ length: n }, (_, i) => 0.5 + i / 1000);
    const found = decodeDetections({ boxes, scores, classes: Array(n).fill(7) }, options);
    expect(found).toHaveLength(100);
    expect(found[0]?.score).toBeCloseTo(0.649, 6);
    expect(found[0]?.label).toBe('class 7');
    expect(() => decodeDetections({ boxes: [0, 0, 1], scores: [1] }, options)).toThrow(/0.75 boxes/);
  });
});

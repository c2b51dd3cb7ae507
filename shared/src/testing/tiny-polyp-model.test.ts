import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { modelManifestSchema } from '../analysis/model-manifest.js';
import { buildTinyPolypDetector, tinyPolypManifest } from './tiny-polyp-model.js';

/** An NCHW RGB tensor, 0..1: grey, with the given quadrant pixels set to `rgb`. */
function image(width: number, height: number, fill: (x: number, y: number) => readonly number[] | undefined) {
  const plane = width * height;
  const data = new Float32Array(plane * 3).fill(0.5);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const rgb = fill(x, y);
      if (rgb) for (let c = 0; c < 3; c++) data[c * plane + y * width + x] = rgb[c]!;
    }
  }
  return new ort.Tensor('float32', data, [1, 3, height, width]);
}

describe('buildTinyPolypDetector', () => {
  it('scores each quadrant by its mean redness, with constant quadrant boxes and zero labels', async () => {
    const width = 8;
    const height = 6;
    const session = await ort.InferenceSession.create(buildTinyPolypDetector({ width, height }), {
      graphOptimizationLevel: 'all',
    });
    expect(session.inputNames).toEqual(['images']);
    expect([...session.outputNames].sort()).toEqual(['boxes', 'labels', 'scores']);
    // Top-right quadrant fully red; bottom-left half covered with a pinkish red (R - G = 0.6).
    const images = image(width, height, (x, y) => {
      if (x >= 4 && y < 3) return [1, 0, 0];
      if (x < 2 && y >= 3) return [0.8, 0.2, 0.2];
      return undefined;
    });
    const out = await session.run({ images });
    expect(out.scores?.dims).toEqual([1, 4]);
    const scores = [...(out.scores!.data as Float32Array)];
    expect(scores[0]).toBeCloseTo(0, 6);
    expect(scores[1]).toBeCloseTo(1, 6);
    expect(scores[2]).toBeCloseTo(0.3, 6);
    expect(scores[3]).toBeCloseTo(0, 6);
    expect(out.boxes?.dims).toEqual([1, 4, 4]);
    expect([...(out.boxes!.data as Float32Array)]).toEqual([
      0, 0, 0.5, 0.5, 0.5, 0, 0.5, 0.5, 0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5,
    ]);
    expect(out.labels?.type).toBe('int64');
    expect([...(out.labels!.data as BigInt64Array)]).toEqual([0n, 0n, 0n, 0n]);
    await session.release();
  });

  it('clips green-dominant quadrants to 0 rather than going negative', async () => {
    const session = await ort.InferenceSession.create(buildTinyPolypDetector({ width: 4, height: 4 }));
    const out = await session.run({ images: image(4, 4, () => [0, 1, 0]) });
    expect([...(out.scores!.data as Float32Array)]).toEqual([0, 0, 0, 0]);
    await session.release();
  });

  it('takes a batch of images, one row of outputs each, unless its batch is fixed', async () => {
    const session = await ort.InferenceSession.create(buildTinyPolypDetector({ width: 4, height: 4 }));
    expect(session.inputMetadata[0]).toMatchObject({ name: 'images', shape: ['batch', 3, 4, 4] });
    const red = image(4, 4, () => [1, 0, 0]).data as Float32Array;
    const grey = image(4, 4, () => undefined).data as Float32Array;
    const both = new Float32Array([...grey, ...red]);
    const out = await session.run({ images: new ort.Tensor('float32', both, [2, 3, 4, 4]) });
    expect(out.scores?.dims).toEqual([2, 4]);
    expect([...(out.scores!.data as Float32Array)]).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expect(out.boxes?.dims).toEqual([2, 4, 4]);
    expect(out.labels?.dims).toEqual([2, 4]);
    await session.release();

    const fixed = await ort.InferenceSession.create(
      buildTinyPolypDetector({ width: 4, height: 4, batch: 1 }),
    );
    expect(fixed.inputMetadata[0]).toMatchObject({ shape: [1, 3, 4, 4] });
    await expect(fixed.run({ images: new ort.Tensor('float32', both, [2, 3, 4, 4]) })).rejects.toThrow(
      /dimensions/i,
    );
    await fixed.release();
  });

  it('refuses sizes that quadrants cannot tile', () => {
    expect(() => buildTinyPolypDetector({ width: 7, height: 6 })).toThrow(/must be even/);
    expect(() => buildTinyPolypDetector({ width: 0, height: 6 })).toThrow(/at least 2x2/);
  });
});

describe('tinyPolypManifest', () => {
  it('is a valid manifest for the polyp-detection contract', () => {
    const manifest = tinyPolypManifest('a'.repeat(64), 64, 48);
    expect(modelManifestSchema.parse(manifest)).toEqual(manifest);
    expect(manifest.output.names).toMatchObject({ boxes: 'boxes', scores: 'scores', labels: 'labels' });
  });
});

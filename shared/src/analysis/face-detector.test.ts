import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../media/decode-image.js';
import { type RgbFrame, rgbStride } from '../media/frame.js';
import type { Box } from '../messages/events.js';
import { towerFrames } from '../testing/tower-clip.js';
import {
  boxToFrame,
  type FaceDetector,
  faceTiles,
  letterbox,
  letterboxTensorData,
  loadFaceDetector,
} from './face-detector.js';
import { resolveModel } from './model-manifest.js';

const root = join(import.meta.dirname, '..', '..', '..');

function frameOf(
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number],
): RgbFrame {
  const stride = rgbStride(width);
  const data = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(pixel(x, y), y * stride + x * 3);
  }
  return { data, width, height, stride, index: 0, ptsMs: 0 };
}

/** Inside a colon: red mucosa, a dark lumen, darker vessels, specular glints, black outside the scope's circle. */
function endoscopyFrame(width: number, height: number): RgbFrame {
  const cx = width / 2;
  const cy = height / 2;
  const radius = Math.min(width, height) * 0.55;
  return frameOf(width, height, (x, y) => {
    const r = Math.hypot(x - cx, y - cy) / radius;
    if (r > 1) return [0, 0, 0];
    const lumen = Math.max(0, 1 - r * 3);
    const vessel = Math.abs(Math.sin(x / 23 + Math.sin(y / 17) * 2)) < 0.06 ? 0.7 : 1;
    const glint = ((x * 7 + y * 13) % 97 === 0 && r > 0.4) || Math.hypot(x - cx * 1.3, y - cy * 0.7) < 6;
    if (glint) return [255, 250, 245];
    const shade = (1 - lumen) * vessel * (0.75 + 0.25 * Math.cos(r * 4));
    return [Math.round(210 * shade + 20), Math.round(70 * shade), Math.round(60 * shade)];
  });
}

describe('letterbox', () => {
  it('centres a wide frame between bars and maps boxes back to the frame', () => {
    const lb = letterbox(1920, 1080, 128);
    expect(lb).toEqual({ size: 128, contentWidth: 128, contentHeight: 72, padX: 0, padY: 28 });
    expect(letterbox(288, 512, 128)).toEqual({
      size: 128,
      contentWidth: 72,
      contentHeight: 128,
      padX: 28,
      padY: 0,
    });
    expect(letterbox(300, 300, 128)).toEqual({
      size: 128,
      contentWidth: 128,
      contentHeight: 128,
      padX: 0,
      padY: 0,
    });
    // The content area is the whole frame; a box half in the bar is clipped; one wholly in it is dropped.
    expect(boxToFrame({ x: 0, y: 28 / 128, w: 1, h: 72 / 128 }, lb)).toEqual({ x: 0, y: 0, w: 1, h: 1 });
    const clipped = boxToFrame({ x: 0.25, y: 20 / 128, w: 0.25, h: 20 / 128 }, lb)!;
    expect(clipped.x).toBeCloseTo(0.25, 6);
    expect(clipped.y).toBe(0);
    expect(clipped.w).toBeCloseTo(0.25, 6);
    expect(clipped.h).toBeCloseTo(12 / 72, 6);
    expect(boxToFrame({ x: 0.25, y: 0, w: 0.25, h: 20 / 128 }, lb)).toBeUndefined();
  });

  it('fills the bars with grey and the content with the normalised frame, in the input layout', () => {
    const red = frameOf(4, 2, () => [255, 0, 0]);
    const input = {
      name: 'x',
      colorOrder: 'RGB' as const,
      width: 8,
      height: 8,
      mean: [0.5, 0.5, 0.5] as [number, number, number],
      std: [0.5, 0.5, 0.5] as [number, number, number],
    };
    const grey = 128 / 127.5 - 1;
    const nhwc = letterboxTensorData(red, { ...input, layout: 'NHWC' });
    expect(nhwc.letterbox).toMatchObject({ contentWidth: 8, contentHeight: 4, padX: 0, padY: 2 });
    const pixel = (d: Float32Array, x: number, y: number) =>
      Array.from(d.subarray((y * 8 + x) * 3, (y * 8 + x) * 3 + 3));
    for (const v of pixel(nhwc.data, 3, 1)) expect(v).toBeCloseTo(grey, 6);
    expect(pixel(nhwc.data, 0, 2)).toEqual([1, -1, -1]);
    expect(pixel(nhwc.data, 7, 5)).toEqual([1, -1, -1]);
    for (const v of pixel(nhwc.data, 7, 6)) expect(v).toBeCloseTo(grey, 6);
    const nchw = letterboxTensorData(red, { ...input, layout: 'NCHW' });
    expect(nchw.data[0 * 64 + 2 * 8]).toBe(1);
    expect(nchw.data[1 * 64 + 5 * 8 + 7]).toBe(-1);
    expect(nchw.data[2 * 64 + 7 * 8 + 7]).toBeCloseTo(grey, 6);
    // Written into a reused buffer that held another view: the same tensor, in that buffer.
    for (const layout of ['NHWC', 'NCHW'] as const) {
      const used = new Float32Array(8 * 8 * 3).fill(0.25);
      const again = letterboxTensorData(red, { ...input, layout }, used);
      expect(again.data).toBe(used);
      expect(Array.from(again.data)).toEqual(Array.from(letterboxTensorData(red, { ...input, layout }).data));
      // A square frame fills the input: no bars, every value its own.
      const square = frameOf(4, 4, () => [0, 255, 0]);
      const full = letterboxTensorData(square, { ...input, layout }, used.fill(0.25));
      expect(Array.from(full.data)).toEqual(
        Array.from(letterboxTensorData(square, { ...input, layout }).data),
      );
    }
  });
});

describe('loadFaceDetector (BlazeFace front, the real model)', () => {
  let detector: FaceDetector;

  beforeAll(async () => {
    execFileSync('bash', [join(root, 'scripts', 'fetch-blazeface.sh')], { stdio: 'pipe' });
    const model = await resolveModel(join(root, 'models', 'blazeface-front.json'));
    detector = await loadFaceDetector(model, ['cpu']);
  }, 120_000);

  afterAll(async () => {
    await detector?.close();
  });

  it('loads from its manifest', () => {
    expect(detector.ref).toEqual({ id: 'blazeface-front', version: '1.2.0', executionProvider: 'cpu' });
  });

  it('finds no face in a flat grey frame, nor in black or white ones', async () => {
    expect(await detector.detect(frameOf(512, 288, () => [128, 128, 128]))).toEqual([]);
    expect(await detector.detect(frameOf(640, 360, () => [0, 0, 0]))).toEqual([]);
    expect(await detector.detect(frameOf(300, 300, () => [255, 255, 255]))).toEqual([]);
  });

  it('finds no face in an endoscopy-like red frame, wide, square or tall', async () => {
    expect(await detector.detect(endoscopyFrame(512, 288))).toEqual([]);
    expect(await detector.detect(endoscopyFrame(641, 361))).toEqual([]);
    expect(await detector.detect(endoscopyFrame(400, 400))).toEqual([]);
    expect(await detector.detect(endoscopyFrame(288, 512))).toEqual([]);
  });

  /** A public-domain portrait (see test/fixtures/faces/README.md), decoded at its own size. */
  const portrait = async (name: string, size: number) =>
    decodeImage(readFileSync(join(root, 'test', 'fixtures', 'faces', name)), { width: size, height: size });

  /** One frame of a generated scene with the portrait pasted at `box`. */
  const withFace = async (scene: 'room' | 'mucosa', shape: 'none' | 'octagon', image: RgbFrame, box: Box) => {
    const frames = towerFrames({
      width: 1280,
      height: 720,
      fps: 1,
      seconds: 1,
      picture: { shape, aspect: 16 / 9, heightShare: shape === 'none' ? 1 : 0.85, centreX: 0.5 },
      texts: [],
      scenes: [{ fromS: 0, toS: 1, scene }],
      faces: [{ image, box, fromS: 0, toS: 1 }],
    });
    return (await frames.next()).value as RgbFrame;
  };

  const overlap = (a: Box, b: Box) =>
    Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x)) *
    Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));

  it('finds real faces, large or a tenth of the frame high, in a room and pasted into mucosa', async () => {
    const head = await portrait('collins-head.png', 150);
    const shoulders = await portrait('collins-shoulders.png', 180);
    const cases: [Awaited<ReturnType<typeof withFace>>, Box][] = [];
    for (const [scene, shape, image, box] of [
      ['room', 'none', shoulders, { x: 0.35, y: 0.2, w: 0.3, h: 0.55 }],
      ['room', 'none', head, { x: 0.1, y: 0.5, w: 0.1, h: 0.18 }],
      ['mucosa', 'octagon', head, { x: 0.55, y: 0.3, w: 0.15, h: 0.28 }],
    ] as const) {
      cases.push([await withFace(scene, shape, image, box), box]);
    }
    for (const [frame, box] of cases) {
      const faces = await detector.detect(frame);
      expect(faces.length, JSON.stringify(box)).toBeGreaterThanOrEqual(1);
      // The face found lies on the pasted portrait.
      expect(faces.some((f) => overlap(f, box) > 0.5 * f.w * f.h)).toBe(true);
      // A search of the large views alone does not reach these (faces 0.09-0.16 of the frame high).
      expect(await detector.detect(frame, 'large')).toEqual([]);
    }
  });

  it('finds a face half the frame high or more in the large views alone', async () => {
    const head = await portrait('collins-head.png', 400);
    const box = { x: 0.3, y: 0.1, w: 0.3, h: 0.8 };
    const frame = await withFace('room', 'none', head, box);
    const large = await detector.detect(frame, 'large');
    expect(
      large.some((f) => overlap(f, box) > 0.5 * f.w * f.h && f.h >= 0.3),
      JSON.stringify(large),
    ).toBe(true);
  });

  it('searches the large views alone when asked: the whole frame and the squares as tall as it', () => {
    expect(faceTiles(1280, 720, 'large')).toEqual(
      faceTiles(1280, 720).filter((t) => t.size.w === 1280 || t.size.w === 720),
    );
    expect(faceTiles(1280, 720, 'large')).toHaveLength(4);
    expect(faceTiles(1280, 1024, 'large')).toHaveLength(3);
  });

  it('looks at the whole frame and at overlapping squares of it', () => {
    const tiles = faceTiles(1280, 720);
    expect(tiles[0]).toEqual({ x0: 0, y0: 0, size: { w: 1280, h: 720 } });
    expect(tiles.filter((t) => t.size.w === 720).map((t) => t.x0)).toEqual([0, 280, 560]);
    const small = tiles.filter((t) => t.size.w === 360);
    expect(small.length).toBe(15);
    // Every point of the frame lies in some small square, with room to spare.
    for (const [x, y] of [
      [0, 0],
      [1279, 719],
      [640, 360],
      [1000, 100],
    ] as const) {
      expect(small.some((t) => x >= t.x0 && x < t.x0 + 360 && y >= t.y0 && y < t.y0 + 360)).toBe(true);
    }
  });

  it('refuses a manifest of another kind', async () => {
    const model = await resolveModel(join(root, 'models', 'blazeface-front.json'));
    await expect(
      loadFaceDetector({ ...model, manifest: { ...model.manifest, task: 'text-detection' } }),
    ).rejects.toThrow(/not an anchor-based face detector/);
    await expect(
      loadFaceDetector({
        ...model,
        manifest: {
          ...model.manifest,
          output: { ...model.manifest.output, names: { scores: 'Identity:0' } },
        },
      }),
    ).rejects.toThrow(/output.names.boxes is required/);
    await expect(
      loadFaceDetector(
        {
          ...model,
          manifest: {
            ...model.manifest,
            output: { ...model.manifest.output, names: { scores: 'Identity:0,nope', boxes: 'Identity_2:0' } },
          },
        },
        ['cpu'],
      ),
    ).rejects.toThrow(/no tensor nope/);
  });

  it('catches outputs listed out of anchor order', async () => {
    const model = await resolveModel(join(root, 'models', 'blazeface-front.json'));
    const swapped = await loadFaceDetector(
      {
        ...model,
        manifest: {
          ...model.manifest,
          output: {
            ...model.manifest.output,
            names: { scores: 'Identity_1:0,Identity:0', boxes: 'Identity_3:0,Identity_2:0' },
          },
        },
      },
      ['cpu'],
    );
    await expect(swapped.detect(frameOf(128, 128, () => [90, 90, 90]))).rejects.toThrow(
      /out of anchor order/,
    );
    await swapped.close();
  });
});

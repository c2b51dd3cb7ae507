import { describe, expect, it } from 'vitest';
import {
  BLAZEFACE_REGRESSION_SIZE,
  decodeBlazeFace,
  decodeBlazeFaceScored,
  generateAnchors,
} from './blazeface-anchors.js';

const ANCHORS = 896;
const SIZE = 128;

/** Index of an anchor in the first layer (16x16 cells, 2 anchors each). */
const layer1 = (row: number, col: number, a: number) => (row * 16 + col) * 2 + a;
/** Index of an anchor in the second layer (8x8 cells, 6 anchors each). */
const layer2 = (row: number, col: number, a: number) => 512 + (row * 8 + col) * 6 + a;

/** Synthetic outputs: every logit very low but those given, with box regressions in input pixels. */
function outputs(faces: { anchor: number; logit: number; dx: number; dy: number; w: number; h: number }[]) {
  const scores = new Float32Array(ANCHORS).fill(-10);
  const regressors = new Float32Array(ANCHORS * BLAZEFACE_REGRESSION_SIZE);
  for (const f of faces) {
    scores[f.anchor] = f.logit;
    regressors.set([f.dx, f.dy, f.w, f.h], f.anchor * BLAZEFACE_REGRESSION_SIZE);
  }
  return { scores, regressors };
}

function expectBox(actual: { x: number; y: number; w: number; h: number } | undefined, expected: number[]) {
  expect(actual).toBeDefined();
  const [x, y, w, h] = expected as [number, number, number, number];
  expect(actual!.x).toBeCloseTo(x, 5);
  expect(actual!.y).toBeCloseTo(y, 5);
  expect(actual!.w).toBeCloseTo(w, 5);
  expect(actual!.h).toBeCloseTo(h, 5);
}

describe('generateAnchors', () => {
  it('places 896 anchors at cell centres, layer by layer, row-major, anchors of a cell together', () => {
    const anchors = generateAnchors(SIZE);
    expect(anchors.length).toBe(ANCHORS * 2);
    // First layer: 16x16 cells, stride 8.
    expect([anchors[0], anchors[1], anchors[2], anchors[3]]).toEqual([1 / 32, 1 / 32, 1 / 32, 1 / 32]);
    const i = layer1(5, 7, 1);
    expect([anchors[i * 2], anchors[i * 2 + 1]]).toEqual([7.5 / 16, 5.5 / 16]);
    // Second layer: 8x8 cells, stride 16.
    const j = layer2(0, 0, 0);
    expect([anchors[j * 2], anchors[j * 2 + 1]]).toEqual([1 / 16, 1 / 16]);
    const k = layer2(2, 6, 5);
    expect([anchors[k * 2], anchors[k * 2 + 1]]).toEqual([6.5 / 8, 2.5 / 8]);
    expect([anchors[ANCHORS * 2 - 2], anchors[ANCHORS * 2 - 1]]).toEqual([7.5 / 8, 7.5 / 8]);
  });
});

describe('decodeBlazeFace', () => {
  it('decodes one confident anchor to its box: anchor centre plus offset, size, all over the input size', () => {
    // Anchor at (7.5/16, 5.5/16) = (0.46875, 0.34375); offset (6.4, -12.8) px = (0.05, -0.1); size 32x38.4 px.
    const { scores, regressors } = outputs([
      { anchor: layer1(5, 7, 1), logit: 3, dx: 6.4, dy: -12.8, w: 32, h: 38.4 },
    ]);
    const faces = decodeBlazeFaceScored(regressors, scores, { inputSize: SIZE, threshold: 0.6 });
    expect(faces).toHaveLength(1);
    expect(faces[0]!.score).toBeCloseTo(1 / (1 + Math.exp(-3)), 6);
    // Centre (0.51875, 0.24375), size (0.25, 0.3).
    expectBox(faces[0]!.box, [0.39375, 0.09375, 0.25, 0.3]);
    expect(decodeBlazeFace(regressors, scores, { inputSize: SIZE, threshold: 0.6 })).toEqual([faces[0]!.box]);
  });

  it('merges overlapping candidates of one face into one box, weighted by score', () => {
    // Two anchors of one 8x8 cell centred at (0.5625, 0.5625), boxes 0.25 wide, 1 px apart.
    const { scores, regressors } = outputs([
      { anchor: layer2(4, 4, 0), logit: 4, dx: 0, dy: 0, w: 32, h: 32 },
      { anchor: layer2(4, 4, 3), logit: 2, dx: 1.28, dy: 1.28, w: 32, h: 32 },
    ]);
    const s1 = 1 / (1 + Math.exp(-4));
    const s2 = 1 / (1 + Math.exp(-2));
    const shift = (0.01 * s2) / (s1 + s2);
    const weighted = decodeBlazeFace(regressors, scores, { inputSize: SIZE, threshold: 0.6 });
    expect(weighted).toHaveLength(1);
    expectBox(weighted[0], [0.4375 + shift, 0.4375 + shift, 0.25, 0.25]);
    // Plain NMS keeps the best candidate as it is.
    const hard = decodeBlazeFace(regressors, scores, { inputSize: SIZE, threshold: 0.6, nms: 'hard' });
    expect(hard).toHaveLength(1);
    expectBox(hard[0], [0.4375, 0.4375, 0.25, 0.25]);
  });

  it('keeps faces apart when they do not overlap (IoU 0.3 or less), best first', () => {
    const { scores, regressors } = outputs([
      { anchor: layer1(2, 2, 0), logit: 1, dx: 0, dy: 0, w: 16, h: 16 },
      { anchor: layer1(12, 12, 0), logit: 5, dx: 0, dy: 0, w: 16, h: 16 },
      // Shifted by half its width from the first: IoU 1/3, so still merged.
      { anchor: layer1(2, 2, 1), logit: 0.9, dx: 8, dy: 0, w: 16, h: 16 },
    ]);
    const faces = decodeBlazeFaceScored(regressors, scores, { inputSize: SIZE, threshold: 0.6 });
    expect(faces).toHaveLength(2);
    expect(faces[0]!.score).toBeGreaterThan(faces[1]!.score);
    expectBox(faces[0]!.box, [12.5 / 16 - 1 / 16, 12.5 / 16 - 1 / 16, 0.125, 0.125]);
    expect(
      decodeBlazeFace(regressors, scores, { inputSize: SIZE, threshold: 0.6, maxFaces: 1 }),
    ).toHaveLength(1);
  });

  it('gives nothing for low scores', () => {
    const { scores, regressors } = outputs([
      // sigmoid(0.4) = 0.599, just under the threshold.
      { anchor: layer1(8, 8, 0), logit: 0.4, dx: 0, dy: 0, w: 30, h: 30 },
      { anchor: layer2(3, 3, 2), logit: -1, dx: 0, dy: 0, w: 30, h: 30 },
    ]);
    expect(decodeBlazeFace(regressors, scores, { inputSize: SIZE, threshold: 0.6 })).toEqual([]);
    scores[layer1(8, 8, 0)] = Number.NaN;
    expect(decodeBlazeFace(regressors, scores, { inputSize: SIZE, threshold: 0 })).toHaveLength(1);
  });

  it('clips boxes to the input and drops empty ones', () => {
    const { scores, regressors } = outputs([
      // Centred on the top-left anchor (1/32, 1/32), 0.25 wide: half of it lies outside.
      { anchor: layer1(0, 0, 0), logit: 5, dx: 0, dy: 0, w: 32, h: 32 },
      // Zero size: no box.
      { anchor: layer1(15, 15, 0), logit: 5, dx: 0, dy: 0, w: 0, h: 10 },
    ]);
    const faces = decodeBlazeFace(regressors, scores, { inputSize: SIZE, threshold: 0.6 });
    expect(faces).toHaveLength(1);
    expectBox(faces[0], [0, 0, 1 / 32 + 0.125, 1 / 32 + 0.125]);
  });

  it('refuses outputs that do not match the anchors', () => {
    expect(() =>
      decodeBlazeFace(new Float32Array(ANCHORS * 16), new Float32Array(512), {
        inputSize: SIZE,
        threshold: 0.5,
      }),
    ).toThrow(/512 scores for 896 anchors/);
    expect(() =>
      decodeBlazeFace(new Float32Array(ANCHORS * 4), new Float32Array(ANCHORS), {
        inputSize: SIZE,
        threshold: 0.5,
      }),
    ).toThrow(/regression values/);
  });
});

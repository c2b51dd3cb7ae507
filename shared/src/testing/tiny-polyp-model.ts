/**
 * A real, tiny ONNX "polyp detector" built in code, for tests of the polyp-detector contract
 * (models/POLYP-CONTRACT.md) without shipping weights. It finds nothing clinical: it scores each
 * quadrant of the image by how much redder than green it is.
 *
 * Graph (opset 13), input `images` float32 [N,3,H,W], RGB 0..1, N a dynamic batch unless fixed:
 *   R, G = Slice(images) on the channel axis          -> [N,1,H,W] each
 *   scores = Reshape(Clip(AveragePool(R - G), 0, 1))  -> [N,4]: top-left, top-right, bottom-left, bottom-right
 *   boxes  = the four quadrants as normalised x,y,w,h -> [N,4,4], a constant expanded to the batch
 *   labels = zeros (class 0)                          -> [N,4] int64, a constant expanded to the batch
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelManifest } from '../analysis/model-manifest.js';
import { encodeModel } from './onnx-writer.js';

/** Manifest id of the tiny model. */
export const TINY_POLYP_ID = 'tiny-polyp';

/** Quadrant boxes in the order AveragePool's [1,1,2,2] output flattens: row by row. */
const QUADRANTS = [
  [0, 0, 0.5, 0.5],
  [0.5, 0, 0.5, 0.5],
  [0, 0.5, 0.5, 0.5],
  [0.5, 0.5, 0.5, 0.5],
] as const;

/**
 * Builds the tiny detector for an input of `width` x `height` pixels (both even, so that the
 * quadrants tile the image exactly and one AveragePool window covers each). The batch dimension is
 * dynamic unless `batch` fixes it (1, say, to stand for a model exported without a dynamic batch).
 */
export function buildTinyPolypDetector({
  width,
  height,
  batch = 'batch',
  slowness = 0,
}: {
  width: number;
  height: number;
  batch?: number | string;
  /**
   * Matrix products (512x512 each, about 0.13 GFLOP) run on every image's mean before the scores come
   * out, adding nothing to them: a slow model, for tests of a live room whose analysis falls behind.
   */
  slowness?: number;
}): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 2 || height < 2) {
    throw new Error(`tiny polyp model: size ${width}x${height} must be whole pixels, at least 2x2`);
  }
  if (width % 2 !== 0 || height % 2 !== 0) {
    throw new Error(`tiny polyp model: size ${width}x${height} must be even so that quadrants tile it`);
  }
  const window = [height / 2, width / 2]; // AveragePool kernel and stride, px (rows, columns)
  const int64 = (name: string, values: number[]) => ({
    name,
    dataType: 'int64' as const,
    dims: [values.length],
    values,
  });
  const scalar = (name: string, value: number) => ({
    name,
    dataType: 'float' as const,
    dims: [],
    values: [value],
  });
  return encodeModel({
    graphName: 'tiny-polyp',
    nodes: [
      // Opset 13 Slice takes starts/ends/axes as int64 inputs, not attributes.
      { opType: 'Slice', inputs: ['images', 'r_start', 'r_end', 'channel_axis'], outputs: ['red'] },
      { opType: 'Slice', inputs: ['images', 'g_start', 'g_end', 'channel_axis'], outputs: ['green'] },
      { opType: 'Sub', inputs: ['red', 'green'], outputs: ['redness'] },
      {
        opType: 'AveragePool',
        inputs: ['redness'],
        outputs: ['pooled'],
        attributes: { kernel_shape: { ints: window }, strides: { ints: window } },
      },
      // Opset 13 Clip takes min and max as optional scalar inputs.
      { opType: 'Clip', inputs: ['pooled', 'zero', 'one'], outputs: ['clipped'] },
      ...(slowness > 0
        ? [
            // Work that depends on the input (so it is not folded away) and adds zero to the scores.
            {
              opType: 'ReduceMean',
              inputs: ['images'],
              outputs: ['level'],
              attributes: { keepdims: { int: 0 } },
            },
            { opType: 'Mul', inputs: ['level', 'heavy'], outputs: ['work0'] },
            ...Array.from({ length: slowness }, (_, i) => ({
              opType: 'MatMul',
              inputs: [`work${i}`, 'heavy'],
              outputs: [`work${i + 1}`],
            })),
            {
              opType: 'ReduceSum',
              inputs: [`work${slowness}`],
              outputs: ['worked'],
              attributes: { keepdims: { int: 0 } },
            },
            { opType: 'Mul', inputs: ['worked', 'zero'], outputs: ['nothing'] },
            { opType: 'Add', inputs: ['clipped', 'nothing'], outputs: ['clipped_slow'] },
            { opType: 'Reshape', inputs: ['clipped_slow', 'scores_shape'], outputs: ['scores'] },
          ]
        : [{ opType: 'Reshape', inputs: ['clipped', 'scores_shape'], outputs: ['scores'] }]),
      // The constant outputs are expanded to the batch size, read from the input's shape.
      { opType: 'Shape', inputs: ['images'], outputs: ['images_shape'] },
      { opType: 'Slice', inputs: ['images_shape', 'b_start', 'b_end', 'first_axis'], outputs: ['batch'] },
      {
        opType: 'Concat',
        inputs: ['batch', 'box_tail'],
        outputs: ['boxes_shape'],
        attributes: { axis: { int: 0 } },
      },
      {
        opType: 'Concat',
        inputs: ['batch', 'label_tail'],
        outputs: ['labels_shape'],
        attributes: { axis: { int: 0 } },
      },
      { opType: 'Expand', inputs: ['quadrant_boxes', 'boxes_shape'], outputs: ['boxes'] },
      { opType: 'Expand', inputs: ['zero_labels', 'labels_shape'], outputs: ['labels'] },
    ],
    initializers: [
      int64('r_start', [0]),
      int64('r_end', [1]),
      int64('g_start', [1]),
      int64('g_end', [2]),
      int64('channel_axis', [1]),
      scalar('zero', 0),
      scalar('one', 1),
      int64('scores_shape', [-1, 4]), // -1: as many rows as the batch has images
      int64('b_start', [0]),
      int64('b_end', [1]),
      int64('first_axis', [0]),
      int64('box_tail', [4, 4]),
      int64('label_tail', [4]),
      { name: 'quadrant_boxes', dataType: 'float', dims: [1, 4, 4], values: QUADRANTS.flat() },
      { name: 'zero_labels', dataType: 'int64', dims: [1, 4], values: [0, 0, 0, 0] },
      ...(slowness > 0
        ? [
            {
              name: 'heavy',
              dataType: 'float' as const,
              dims: [512, 512],
              values: new Float32Array(512 * 512).fill(1e-3),
            },
          ]
        : []),
    ],
    inputs: [{ name: 'images', elemType: 'float', shape: [batch, 3, height, width] }],
    outputs: [
      { name: 'boxes', elemType: 'float', shape: [batch, 4, 4] },
      { name: 'scores', elemType: 'float', shape: [batch, 4] },
      { name: 'labels', elemType: 'int64', shape: [batch, 4] },
    ],
  });
}

/**
 * The manifest for the tiny detector written as `tiny-polyp/model.onnx` beside it, given that
 * file's SHA-256 (64 lowercase hex digits) and the size it was built for (px).
 */
export function tinyPolypManifest(sha256: string, width: number, height: number): ModelManifest {
  return {
    id: TINY_POLYP_ID,
    version: '1.0.0',
    task: 'polyp-detection',
    files: [{ name: 'model.onnx', sha256 }],
    input: {
      name: 'images',
      layout: 'NCHW',
      colorOrder: 'RGB',
      width,
      height,
      mean: [0, 0, 0],
      std: [1, 1, 1],
    },
    output: {
      kind: 'boxes',
      name: 'scores',
      names: { boxes: 'boxes', scores: 'scores', labels: 'labels' },
      labels: ['polyp'],
      threshold: 0.5,
    },
    licence: 'test-only',
    source: 'generated in code by shared/src/testing/tiny-polyp-model.ts',
  };
}

/**
 * Writes the tiny detector and its manifest into a models folder, as an operator would; returns its id.
 * With `slowness` (see buildTinyPolypDetector) it is written as `slow-polyp`.
 */
export function installTinyPolypModel(
  modelsDir: string,
  size = { width: 64, height: 48 },
  slowness = 0,
): string {
  const id = slowness > 0 ? 'slow-polyp' : TINY_POLYP_ID;
  const onnx = buildTinyPolypDetector({ ...size, slowness });
  mkdirSync(join(modelsDir, id), { recursive: true });
  writeFileSync(join(modelsDir, id, 'model.onnx'), onnx);
  const sha256 = createHash('sha256').update(onnx).digest('hex');
  writeFileSync(
    join(modelsDir, `${id}.json`),
    JSON.stringify({ ...tinyPolypManifest(sha256, size.width, size.height), id }, null, 2),
  );
  return id;
}

import type { RgbFrame } from '../media/frame.js';
import type { Box, ModelRef } from '../messages/events.js';
import {
  BLAZEFACE_FRONT_LAYERS,
  BLAZEFACE_REGRESSION_SIZE,
  decodeBlazeFace,
  generateAnchors,
} from './blazeface-anchors.js';
import { writeFrameTensor } from './image-tensor.js';
import type { ModelManifest, ResolvedModel } from './model-manifest.js';
import { createOnnxSession, type ExecutionProviderName, ort } from './onnx-session.js';

/**
 * How far a search for faces reaches: `all` views of the frame (faces down to about a tenth of its
 * height), or the `large` ones only (the whole frame and the squares as tall as it: faces about a
 * quarter of its height or more, the room seen through the scope), a fifth of the work.
 */
export type FaceReach = 'all' | 'large';

/** Finds faces (BlazeFace) so that they can be blurred or masked when the scope is outside the patient. */
export interface FaceDetector {
  readonly ref: ModelRef;
  /** Face boxes normalised to the frame (0..1), best first; every view unless `reach` is `large`. */
  detect(frame: RgbFrame, reach?: FaceReach): Promise<Box[]>;
  close(): Promise<void>;
}

/** Where a frame lies inside the square model input once letterboxed (input pixels). */
export interface Letterbox {
  /** Side of the square model input. */
  size: number;
  contentWidth: number;
  contentHeight: number;
  padX: number;
  padY: number;
}

/** Grey (0..255) that fills the letterbox bars; mid-grey is about 0 in the model's -1..1 range. */
export const LETTERBOX_GREY = 128;

/**
 * Fits a frame into a square input without distorting it: the longer side fills the input, the shorter
 * one is centred between grey bars.
 */
export function letterbox(frameWidth: number, frameHeight: number, size: number): Letterbox {
  const side = Math.max(frameWidth, frameHeight);
  const contentWidth = Math.max(1, Math.min(size, Math.round((size * frameWidth) / side)));
  const contentHeight = Math.max(1, Math.min(size, Math.round((size * frameHeight) / side)));
  return {
    size,
    contentWidth,
    contentHeight,
    padX: Math.floor((size - contentWidth) / 2),
    padY: Math.floor((size - contentHeight) / 2),
  };
}

/**
 * The model input for a frame, letterboxed: the frame resized to the content area as
 * `frameToTensorData` does (nearest neighbour, manifest colour order, layout and normalisation),
 * between grey bars.
 */
export function letterboxTensorData(
  frame: RgbFrame,
  input: ModelManifest['input'],
  /** Where to write it (the input's size): a buffer the caller reuses. Absent: a new one. */
  into?: Float32Array,
): { data: Float32Array; letterbox: Letterbox } {
  if (input.width !== input.height) throw new Error('letterboxing needs a square model input');
  const lb = letterbox(frame.width, frame.height, input.width);
  const { size, contentWidth: cw, contentHeight: ch, padX, padY } = lb;
  const plane = size * size;
  const data = into?.length === plane * 3 ? into : new Float32Array(plane * 3);
  const nchw = input.layout === 'NCHW';
  // Grey everywhere, then the frame over it, written in place (no tensor of its own to copy).
  if (cw < size || ch < size) {
    for (let c = 0; c < 3; c++) {
      const grey = (LETTERBOX_GREY / 255 - input.mean[c as 0 | 1 | 2]) / input.std[c as 0 | 1 | 2];
      if (nchw) data.fill(grey, c * plane, (c + 1) * plane);
      else for (let i = c; i < data.length; i += 3) data[i] = grey;
    }
  }
  writeFrameTensor(frame, { ...input, width: cw, height: ch }, data, 0, {
    cols: size,
    rows: size,
    x: padX,
    y: padY,
  });
  return { data, letterbox: lb };
}

/** Maps a box normalised to the square input back to the frame; undefined when it lies in the bars. */
export function boxToFrame(box: Box, lb: Letterbox): Box | undefined {
  const clip = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);
  const x0 = clip((box.x * lb.size - lb.padX) / lb.contentWidth);
  const x1 = clip(((box.x + box.w) * lb.size - lb.padX) / lb.contentWidth);
  const y0 = clip((box.y * lb.size - lb.padY) / lb.contentHeight);
  const y1 = clip(((box.y + box.h) * lb.size - lb.padY) / lb.contentHeight);
  if (x1 <= x0 || y1 <= y0) return undefined;
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** Output names of one role: a comma-separated list when the model splits it over several tensors. */
function outputNames(list: string | undefined, role: string, id: string): string[] {
  const names = (list ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  if (names.length === 0) throw new Error(`model ${id}: manifest output.names.${role} is required`);
  return names;
}

/**
 * One tensor from several outputs, concatenated in the listed order (the anchor order). When there is one
 * output per anchor layer, each must hold that layer's anchors, so that a wrong order is caught.
 */
function gather(
  result: ort.InferenceSession.OnnxValueMapType,
  names: string[],
  layerAnchors: number[],
  valuesPerAnchor: number,
  id: string,
): Float32Array {
  const parts = names.map((name, i) => {
    const value = result[name];
    if (!value) throw new Error(`model ${id} has no output ${name}`);
    const data = value.data as Float32Array;
    const anchors = names.length === layerAnchors.length ? layerAnchors[i]! : undefined;
    if (anchors !== undefined && data.length !== anchors * valuesPerAnchor) {
      throw new Error(
        `model ${id}: output ${name} holds ${data.length} values, not ${anchors * valuesPerAnchor}; outputs out of anchor order?`,
      );
    }
    return data;
  });
  if (parts.length === 1) return parts[0]!;
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Loads a BlazeFace front (short-range) detector whose manifest output kind is `anchors`.
 *
 * `output.names.scores` and `output.names.boxes` name the score (one logit per anchor) and regression
 * (16 per anchor) outputs; the front model splits each over two tensors, one per anchor layer, listed
 * comma-separated in anchor order (stride 8 first).
 *
 * Frames are letterboxed, not stretched: BlazeFace was trained on square crops and a 16:9 frame squeezed
 * to 128x128 makes faces narrower than any it has seen. The cost is resolution: a 16:9 frame uses
 * 128x72 of the input, so faces need to be about a fifth of the frame height or more (short-range model).
 */
export async function loadFaceDetector(
  model: ResolvedModel,
  preferred?: ExecutionProviderName[],
): Promise<FaceDetector> {
  const { manifest } = model;
  const { id, input, output } = manifest;
  if (manifest.task !== 'face-detection' || output.kind !== 'anchors') {
    throw new Error(`model ${id} is not an anchor-based face detector`);
  }
  if (input.width !== input.height) throw new Error(`model ${id}: BlazeFace input must be square`);
  const scoreNames = outputNames(output.names?.scores ?? output.name, 'scores', id);
  const boxNames = outputNames(output.names?.boxes, 'boxes', id);
  const anchors = generateAnchors(input.width, BLAZEFACE_FRONT_LAYERS);
  const anchorCount = anchors.length / 2;
  const layerAnchors = BLAZEFACE_FRONT_LAYERS.map(
    (l) => Math.ceil(input.width / l.stride) ** 2 * l.anchorsPerCell,
  );

  // One thread a run: a 128x128 view is too small to share out. On 2 idle cores (node
  // bench/face-threads.mjs), one thread took 1.29 ms of wall and 1.30 ms of CPU a view against 1.38 ms
  // and 2.04 ms on onnxruntime's default pool: beside a busy decoder the pool's extra CPU is lost to it.
  const { session, executionProvider } = await createOnnxSession(model.modelPath, preferred, 1);
  const missing = [input.name].filter((n) => !session.inputNames.includes(n));
  missing.push(...[...scoreNames, ...boxNames].filter((n) => !session.outputNames.includes(n)));
  if (missing.length > 0) {
    await session.release();
    throw new Error(`model ${id}: the ONNX graph has no tensor ${missing.join(', ')}`);
  }

  /** Faces in one square (or letterboxed) view of the frame, normalised to that view. */
  // Input tensors are reused (four to nineteen views a frame would each allocate 196 KB, which kept
  // the analysis thread's collector busy); one a run at a time, so calls that overlap never share one.
  const spare: Float32Array[] = [];
  const detectView = async (frame: RgbFrame, threshold: number): Promise<Box[]> => {
    const taken = spare.pop();
    const { data, letterbox: lb } = letterboxTensorData(frame, input, taken);
    const dims =
      input.layout === 'NCHW' ? [1, 3, input.height, input.width] : [1, input.height, input.width, 3];
    let result: ort.InferenceSession.OnnxValueMapType;
    try {
      result = await session.run({ [input.name]: new ort.Tensor('float32', data, dims) });
    } finally {
      spare.push(data);
    }
    const scores = gather(result, scoreNames, layerAnchors, 1, id);
    const regressors = gather(result, boxNames, layerAnchors, BLAZEFACE_REGRESSION_SIZE, id);
    if (scores.length !== anchorCount || regressors.length !== anchorCount * BLAZEFACE_REGRESSION_SIZE) {
      throw new Error(
        `model ${id}: ${scores.length} scores and ${regressors.length} regression values for ${anchorCount} anchors; not a BlazeFace front model`,
      );
    }
    const boxes: Box[] = [];
    for (const box of decodeBlazeFace(regressors, scores, {
      inputSize: input.width,
      threshold,
      anchors,
    })) {
      const mapped = boxToFrame(box, lb);
      if (mapped) boxes.push(mapped);
    }
    return boxes;
  };

  return {
    ref: { id, version: manifest.version, executionProvider },
    async detect(frame, reach = 'all') {
      const found: Box[] = [];
      for (const [i, tile] of faceTiles(frame.width, frame.height, reach).entries()) {
        const view = cropView(frame, tile);
        // Each extra view is another chance for texture to pass for a face: those need more certainty.
        const threshold = i === 0 ? output.threshold : Math.max(output.threshold, TILE_THRESHOLD);
        for (const b of await detectView(view, threshold)) {
          found.push({
            x: (tile.x0 + b.x * tile.size.w) / frame.width,
            y: (tile.y0 + b.y * tile.size.h) / frame.height,
            w: (b.w * tile.size.w) / frame.width,
            h: (b.h * tile.size.h) / frame.height,
          });
        }
      }
      return mergeFaces(found);
    },
    close: () => session.release(),
  };
}

/**
 * Least score for a face found in a tile rather than the whole frame. With 19 views of a frame, mucosa
 * passed for a face at 0.6 in 7 of 24 generated frames, at 0.75 in none; the portraits in
 * test/fixtures/faces score above 0.92 in every view they fill.
 */
export const TILE_THRESHOLD = 0.85;

/** A rectangle of a frame (px) to look for faces in. */
export interface FaceTile {
  x0: number;
  y0: number;
  size: { w: number; h: number };
}

/**
 * Where to look for faces: the whole frame (letterboxed), then squares as tall as its short side and
 * half as tall, overlapping, so that a face a tenth of the frame's height still fills a fifth of some
 * view, as the short-range model needs. 1 + 3 + 15 views for a 16:9 frame, 2-4 ms each on a CPU.
 * `large`: the whole frame and the tall squares alone (1 + 3).
 */
export function faceTiles(width: number, height: number, reach: FaceReach = 'all'): FaceTile[] {
  const tiles: FaceTile[] = [{ x0: 0, y0: 0, size: { w: width, h: height } }];
  const short = Math.min(width, height);
  const sides: (readonly [number, number])[] = [[short, 0.5]];
  if (reach === 'all') sides.push([Math.round(short / 2), 1 / 3]);
  for (const [side, overlap] of sides) {
    if (side < 32) continue;
    const positions = (length: number) => {
      if (length <= side) return [0];
      const n = Math.ceil((length - side) / (side * (1 - overlap))) + 1;
      return Array.from({ length: n }, (_, i) => Math.round((i * (length - side)) / (n - 1)));
    };
    const xs = positions(width);
    const ys = positions(height);
    // The full-height squares of a landscape frame: one row; skip a square equal to the whole frame.
    if (xs.length === 1 && ys.length === 1 && side === short && width === height) continue;
    for (const y0 of ys) for (const x0 of xs) tiles.push({ x0, y0, size: { w: side, h: side } });
  }
  return tiles;
}

/** A view of a rectangle of the frame, sharing its pixels (rows keep the frame's stride). */
function cropView(frame: RgbFrame, tile: FaceTile): RgbFrame {
  if (tile.x0 === 0 && tile.y0 === 0 && tile.size.w === frame.width && tile.size.h === frame.height)
    return frame;
  const start = tile.y0 * frame.stride + tile.x0 * 3;
  return {
    ...frame,
    data: frame.data.subarray(start),
    width: tile.size.w,
    height: tile.size.h,
  };
}

/** One box for each face seen in several views: boxes that overlap by a third of the smaller are joined. */
export function mergeFaces(boxes: readonly Box[]): Box[] {
  const out: Box[] = [];
  for (const b of boxes) {
    let merged = b;
    for (let i = out.length - 1; i >= 0; i--) {
      const o = out[i]!;
      const w = Math.min(o.x + o.w, merged.x + merged.w) - Math.max(o.x, merged.x);
      const h = Math.min(o.y + o.h, merged.y + merged.h) - Math.max(o.y, merged.y);
      if (w <= 0 || h <= 0 || w * h < Math.min(o.w * o.h, merged.w * merged.h) / 3) continue;
      const x = Math.min(o.x, merged.x);
      const y = Math.min(o.y, merged.y);
      merged = {
        x,
        y,
        w: Math.max(o.x + o.w, merged.x + merged.w) - x,
        h: Math.max(o.y + o.h, merged.y + merged.h) - y,
      };
      out.splice(i, 1);
    }
    out.push(merged);
  }
  return out;
}

import type { RgbFrame } from '../media/frame.js';
import type { ModelManifest } from './model-manifest.js';

type ModelInput = ModelManifest['input'];

/** Where a picture goes in a larger tensor plane: `cols` x `rows`, the picture's top left at (x, y). */
export interface TensorPlacement {
  cols: number;
  rows: number;
  x: number;
  y: number;
}

/**
 * Writes one frame's tensor into `out` from `offset`, as `frameToTensorData` describes: the frame
 * resized to the input's size, which fills the tensor's plane, or sits at `place` in a larger one.
 */
export function writeFrameTensor(
  frame: RgbFrame,
  input: ModelInput,
  out: Float32Array,
  offset: number,
  place?: TensorPlacement,
): void {
  const { width: W, height: H, mean, std } = input;
  const cols = place?.cols ?? W;
  const plane = cols * (place?.rows ?? H);
  const x0 = place?.x ?? 0;
  const y0 = place?.y ?? 0;
  const nchw = input.layout === 'NCHW';
  // Each channel's 256 values, normalised once with the per-pixel arithmetic (the same floats), and
  // which byte of a source pixel it reads.
  const table = (c: 0 | 1 | 2) => {
    const scale = 1 / (255 * std[c]);
    const shift = mean[c] / std[c];
    const t = new Float32Array(256);
    for (let v = 0; v < 256; v++) t[v] = v * scale - shift;
    return t;
  };
  const [t0, t1, t2] = [table(0), table(1), table(2)];
  const [s0, s2] = input.colorOrder === 'BGR' ? [2, 0] : [0, 2];
  // Byte offset in a source row of each tensor column's pixel, worked out once.
  const columns = new Int32Array(W);
  for (let x = 0; x < W; x++)
    columns[x] = Math.min(frame.width - 1, Math.floor(((x + 0.5) * frame.width) / W)) * 3;
  const data = frame.data;
  for (let y = 0; y < H; y++) {
    const row = Math.min(frame.height - 1, Math.floor(((y + 0.5) * frame.height) / H)) * frame.stride;
    const first = (y + y0) * cols + x0;
    for (let x = 0; x < W; x++) {
      const p = row + columns[x]!;
      const i = first + x;
      const a = t0[data[p + s0]!]!;
      const b = t1[data[p + 1]!]!;
      const c = t2[data[p + s2]!]!;
      if (nchw) {
        out[offset + i] = a;
        out[offset + plane + i] = b;
        out[offset + 2 * plane + i] = c;
      } else {
        out[offset + i * 3] = a;
        out[offset + i * 3 + 1] = b;
        out[offset + i * 3 + 2] = c;
      }
    }
  }
}

/**
 * Turns a frame into a float32 tensor for a model input: nearest-neighbour resize to the input size,
 * channel order and layout as the manifest says, scaled to 0..1 then normalised with mean and std.
 */
export function frameToTensorData(frame: RgbFrame, input: ModelInput): Float32Array {
  return framesToTensorData([frame], input);
}

/** Several frames as one batch tensor's data: each frame's tensor (see frameToTensorData) in turn. */
export function framesToTensorData(frames: readonly RgbFrame[], input: ModelInput): Float32Array {
  const size = input.width * input.height * 3;
  const out = new Float32Array(size * frames.length);
  frames.forEach((frame, i) => {
    writeFrameTensor(frame, input, out, i * size);
  });
  return out;
}

/** Dims of a batch of `batch` images for a model input: [N,3,H,W] or [N,H,W,3]. */
export function inputDims(input: ModelInput, batch: number): number[] {
  return input.layout === 'NCHW'
    ? [batch, 3, input.height, input.width]
    : [batch, input.height, input.width, 3];
}

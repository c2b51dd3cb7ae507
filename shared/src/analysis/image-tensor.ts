import type { RgbFrame } from '../media/frame.js';
import type { ModelManifest } from './model-manifest.js';

type ModelInput = ModelManifest['input'];

/** Writes one frame's tensor into `out` from `offset`, as `frameToTensorData` describes. */
function writeFrameTensor(frame: RgbFrame, input: ModelInput, out: Float32Array, offset: number): void {
  const { width: W, height: H, mean, std } = input;
  const plane = W * H;
  const bgr = input.colorOrder === 'BGR';
  const nchw = input.layout === 'NCHW';
  const scale = [1 / (255 * std[0]), 1 / (255 * std[1]), 1 / (255 * std[2])] as const;
  const shift = [mean[0] / std[0], mean[1] / std[1], mean[2] / std[2]] as const;
  for (let y = 0; y < H; y++) {
    const sy = Math.min(frame.height - 1, Math.floor(((y + 0.5) * frame.height) / H));
    const row = sy * frame.stride;
    for (let x = 0; x < W; x++) {
      const sx = Math.min(frame.width - 1, Math.floor(((x + 0.5) * frame.width) / W));
      const p = row + sx * 3;
      const i = y * W + x;
      for (let c = 0; c < 3; c++) {
        const v = frame.data[p + (bgr ? 2 - c : c)]!;
        const value = v * scale[c as 0 | 1 | 2] - shift[c as 0 | 1 | 2];
        out[offset + (nchw ? c * plane + i : i * 3 + c)] = value;
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

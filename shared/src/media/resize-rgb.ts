import { checkRgbFrame, type RgbFrame, rgbStride } from './frame.js';

/**
 * A copy of the frame scaled to `width` x `height` (bilinear, aspect not kept), rows padded as
 * GStreamer pads them. For pictures already in memory (a masked frame for the chat's model), where a
 * round trip through GStreamer would cost an encode and a decode.
 */
export function resizeRgb(frame: RgbFrame, size: { width: number; height: number }): RgbFrame {
  checkRgbFrame(frame);
  const { width, height } = size;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`cannot resize to ${width}x${height}: not whole px`);
  }
  const stride = rgbStride(width);
  const data = new Uint8Array(stride * height);
  const src = frame.data;
  // Source coordinate of each output column (centres aligned), with its two neighbours and weight.
  const xs = new Int32Array(width * 2);
  const xw = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const sx = Math.min(frame.width - 1, Math.max(0, ((x + 0.5) * frame.width) / width - 0.5));
    const x0 = Math.floor(sx);
    xs[2 * x] = x0 * 3;
    xs[2 * x + 1] = Math.min(frame.width - 1, x0 + 1) * 3;
    xw[x] = sx - x0;
  }
  for (let y = 0; y < height; y++) {
    const sy = Math.min(frame.height - 1, Math.max(0, ((y + 0.5) * frame.height) / height - 0.5));
    const y0 = Math.floor(sy);
    const wy = sy - y0;
    const r0 = y0 * frame.stride;
    const r1 = Math.min(frame.height - 1, y0 + 1) * frame.stride;
    const out = y * stride;
    for (let x = 0; x < width; x++) {
      const a = xs[2 * x]!;
      const b = xs[2 * x + 1]!;
      const wx = xw[x]!;
      for (let c = 0; c < 3; c++) {
        const top = src[r0 + a + c]! + (src[r0 + b + c]! - src[r0 + a + c]!) * wx;
        const bottom = src[r1 + a + c]! + (src[r1 + b + c]! - src[r1 + a + c]!) * wx;
        data[out + x * 3 + c] = Math.round(top + (bottom - top) * wy);
      }
    }
  }
  return { ...frame, data, width, height, stride };
}

/**
 * A copy of the frame scaled with its aspect kept into `width` x `height`, centred on black bands
 * (what GStreamer's videoscale does with add-borders): the model sees the picture undistorted.
 */
export function letterboxRgb(frame: RgbFrame, size: { width: number; height: number }): RgbFrame {
  const scale = Math.min(size.width / frame.width, size.height / frame.height);
  const inner = resizeRgb(frame, {
    width: Math.max(1, Math.min(size.width, Math.round(frame.width * scale))),
    height: Math.max(1, Math.min(size.height, Math.round(frame.height * scale))),
  });
  const stride = rgbStride(size.width);
  const data = new Uint8Array(stride * size.height);
  const left = Math.floor((size.width - inner.width) / 2);
  const top = Math.floor((size.height - inner.height) / 2);
  for (let y = 0; y < inner.height; y++) {
    data.set(
      inner.data.subarray(y * inner.stride, y * inner.stride + inner.width * 3),
      (top + y) * stride + left * 3,
    );
  }
  return { ...inner, data, width: size.width, height: size.height, stride };
}

/** One decoded video frame, packed RGB (3 bytes a pixel) with rows `stride` bytes apart. */
export interface RgbFrame {
  data: Uint8Array;
  width: number;
  height: number;
  stride: number;
  /** Index among sampled frames, from 0. */
  index: number;
  /** Presentation time in the source (ms). */
  ptsMs: number;
}

/** Integer BT.601 luma (weights 77, 150, 29 of 256), 0..255, without floats: the grids' and motion's. */
export function luma8(r: number, g: number, b: number): number {
  return (77 * r + 150 * g + 29 * b) >> 8;
}

/** GStreamer pads each row of packed RGB to a multiple of 4 bytes. */
export function rgbStride(width: number): number {
  return Math.ceil((width * 3) / 4) * 4;
}

/**
 * Throws a RangeError naming the frame when its size, stride or buffer cannot hold the picture it
 * claims: typed arrays read past their end as `undefined`, which would turn into NaN silently.
 */
export function checkRgbFrame(frame: RgbFrame): void {
  const { width, height, stride, data, index } = frame;
  const problem =
    !Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1
      ? `size ${width}x${height} is not whole px`
      : !Number.isInteger(stride) || stride < width * 3
        ? `stride ${stride} is under ${width * 3} bytes for ${width} px of RGB`
        : data.length < stride * (height - 1) + width * 3
          ? `${data.length} bytes cannot hold ${width}x${height} RGB at stride ${stride}`
          : undefined;
  if (problem) throw new RangeError(`frame ${index}: ${problem}`);
}

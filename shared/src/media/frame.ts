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

/**
 * One decoded video frame as GStreamer's planar I420 (8-bit Y at full size, U and V at half size each
 * way), as a decoder gives it before any colour conversion: for a reader that looks at every frame's
 * luma and converts only the few frames it keeps (`I420ToRgb`).
 */
export interface I420Frame {
  format: 'I420';
  data: Uint8Array;
  width: number;
  height: number;
  /** Index among read frames, from 0. */
  index: number;
  /** Presentation time in the source (ms). */
  ptsMs: number;
  /**
   * The decoder's colorimetry and chroma siting as GStreamer names them (`bt709`, `jpeg`, ...), so that
   * a conversion to RGB uses the matrix the picture was encoded with; absent: GStreamer's default for the size.
   */
  colorimetry?: string;
  chromaSite?: string;
}

/**
 * Where GStreamer puts the planes of an I420 frame (as `gst_video_info_set_format` does): rows padded
 * to 4 bytes, the chroma planes half the size rounded up, an odd height's Y plane counted as even.
 */
export function i420Layout(width: number, height: number) {
  const up = (v: number, n: number) => Math.ceil(v / n) * n;
  const yStride = up(width, 4);
  const uvStride = up(up(width, 2) / 2, 4);
  const uvHeight = up(height, 2) / 2;
  const uOffset = yStride * up(height, 2);
  const vOffset = uOffset + uvStride * uvHeight;
  return { yStride, uvStride, uOffset, vOffset, size: vOffset + uvStride * uvHeight };
}

/**
 * Luma 0..255 of an I420 sample: video range (16..235) stretched to full range, so that it reads like
 * `luma8` of the same pixel converted to RGB (the motion thresholds are set on that scale).
 */
export function fullRangeLuma(y: number): number {
  const v = ((y - 16) * 255 + 109) / 219;
  return v <= 0 ? 0 : v >= 255 ? 255 : v | 0;
}

/** Whether GStreamer's colorimetry says full-range samples (0..255: `jpeg`, `sRGB`, or range code 1). */
export function isFullRange(colorimetry: string | undefined): boolean {
  return colorimetry === 'jpeg' || colorimetry === 'sRGB' || /^1:/.test(colorimetry ?? '');
}

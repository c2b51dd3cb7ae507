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

/** GStreamer pads each row of packed RGB to a multiple of 4 bytes. */
export function rgbStride(width: number): number {
  return Math.ceil((width * 3) / 4) * 4;
}

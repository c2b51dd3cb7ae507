import { checkRgbFrame, type RgbFrame, rgbStride } from './frame.js';
import { runOnce } from './gst.js';

/** A frame that could not be encoded, with GStreamer's reason. */
export class ImageEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageEncodeError';
  }
}

export interface JpegOptions {
  /** JPEG quality, 1..100 (jpegenc's scale). */
  quality: number;
  /** Output width (px); the height follows the frame's aspect ratio. The frame's own width if absent. */
  width?: number;
}

/** The frame's rows as GStreamer lays out packed RGB (rows padded to 4 bytes), copying only if they differ. */
function gstRows(frame: RgbFrame): Buffer {
  const { width, height, stride, data } = frame;
  const want = rgbStride(width);
  if (stride === want && data.length >= want * height) {
    return Buffer.from(data.buffer, data.byteOffset, want * height);
  }
  const out = Buffer.alloc(want * height);
  for (let y = 0; y < height; y++) out.set(data.subarray(y * stride, y * stride + width * 3), y * want);
  return out;
}

/**
 * Encodes one frame as a JPEG with GStreamer (appsrc, videoconvert, videoscale, jpegenc), scaled to
 * `width` when given. Rejects with ImageEncodeError on a GStreamer error or after `timeoutMs`.
 */
export function encodeJpeg(frame: RgbFrame, options: JpegOptions, timeoutMs = 5000): Promise<Buffer> {
  checkRgbFrame(frame);
  const { quality } = options;
  const width = options.width ?? frame.width;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new RangeError(`JPEG quality must be a whole number 1..100, got ${quality}`);
  }
  if (!Number.isInteger(width) || width < 1)
    throw new RangeError(`JPEG width must be whole px >= 1, got ${width}`);
  const height = Math.max(1, Math.round((width * frame.height) / frame.width));
  const caps = `video/x-raw,format=RGB,width=${frame.width},height=${frame.height},framerate=0/1`;
  const description = [
    `appsrc name=src caps="${caps}" format=time`,
    'videoconvert',
    'videoscale',
    `video/x-raw,width=${width},height=${height},pixel-aspect-ratio=1/1`,
    `jpegenc quality=${quality}`,
    'appsink name=sink sync=false',
  ].join(' ! ');
  return runOnce(description, gstRows(frame), timeoutMs, (failure) => {
    const what = `frame ${frame.index} not encoded`;
    return new ImageEncodeError(
      failure.kind === 'timeout'
        ? `${what} within ${failure.timeoutMs} ms`
        : failure.kind === 'error'
          ? `${what}: ${failure.message}`
          : `${what}: the encoder gave no picture`,
    );
  }).then((jpeg) => Buffer.from(jpeg));
}

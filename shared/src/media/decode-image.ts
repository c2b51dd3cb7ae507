import { type RgbFrame, rgbStride } from './frame.js';
import { runOnce } from './gst.js';

/** An image that cannot be decoded, with GStreamer's reason. */
export class ImageDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageDecodeError';
  }
}

/** A JPEG starts with SOI and a marker. */
const isJpeg = (b: Uint8Array) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/**
 * Decodes one still image (JPEG, PNG, anything GStreamer's decodebin knows) into packed RGB scaled to
 * `width` x `height`, with GStreamer rather than a second image library, turned upright as its EXIF
 * orientation says (a photo taken with the camera on its side). Rejects with ImageDecodeError for
 * data that is not an image, within `timeoutMs`.
 */
export function decodeImage(
  bytes: Uint8Array,
  size: { width: number; height: number },
  timeoutMs = 5000,
): Promise<RgbFrame> {
  const { width, height } = size;
  return runOnce(
    // jpegparse reads a JPEG's EXIF into tags (decodebin would go straight to the decoder), and
    // videoflip turns the picture as the orientation tag says.
    `appsrc name=src ! ${isJpeg(bytes) ? 'jpegparse ! jpegdec' : 'decodebin'} ! videoflip video-direction=auto ! videoconvert ! videoscale ! video/x-raw,format=RGB,width=${width},height=${height},pixel-aspect-ratio=1/1 ! appsink name=sink sync=false`,
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    timeoutMs,
    (failure) =>
      new ImageDecodeError(
        failure.kind === 'timeout'
          ? `image not decoded within ${failure.timeoutMs} ms`
          : failure.kind === 'error'
            ? `not a decodable image: ${failure.message}`
            : 'not a decodable image: no picture in it',
      ),
  ).then((data) => ({ data, width, height, stride: rgbStride(width), index: 0, ptsMs: 0 }));
}

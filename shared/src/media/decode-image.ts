import { type RgbFrame, rgbStride } from './frame.js';
import { gst } from './gst.js';

/** An image that cannot be decoded, with GStreamer's reason. */
export class ImageDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageDecodeError';
  }
}

/**
 * Decodes one still image (JPEG, PNG, anything GStreamer's decodebin knows) into packed RGB scaled to
 * `width` x `height`, with GStreamer rather than a second image library. Rejects with
 * ImageDecodeError for data that is not an image, within `timeoutMs`.
 */
export function decodeImage(
  bytes: Uint8Array,
  size: { width: number; height: number },
  timeoutMs = 5000,
): Promise<RgbFrame> {
  const { width, height } = size;
  const pipeline = new (gst().Pipeline)(
    `appsrc name=src ! decodebin ! videoconvert ! videoscale ! video/x-raw,format=RGB,width=${width},height=${height},pixel-aspect-ratio=1/1 ! appsink name=sink sync=false`,
  );
  return new Promise<RgbFrame>((resolve, reject) => {
    let settled = false;
    let stopped = false;
    const stop = () => {
      if (!stopped) pipeline.stop();
      stopped = true;
    };
    const settle = (error?: Error, frame?: RgbFrame) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(frame!);
    };
    const timer = setTimeout(() => {
      stop();
      settle(new ImageDecodeError(`image not decoded within ${timeoutMs} ms`));
    }, timeoutMs);
    pipeline.pollBus((m) => {
      // Stopping inside the bus callback ends the binding's bus polling (see gst.ts).
      if (m.type === 'error') {
        stop();
        settle(new ImageDecodeError(`not a decodable image: ${m.message ?? 'unknown error'}`));
      } else if (m.type === 'eos') {
        stop();
      }
    });
    pipeline.play();
    const src = pipeline.findChild('src') as unknown as { push(data: Buffer): void };
    src.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    pipeline.sendEOS();
    pipeline.findChild('sink')!.pull((buf) => {
      if (buf) settle(undefined, { data: buf, width, height, stride: rgbStride(width), index: 0, ptsMs: 0 });
      else settle(new ImageDecodeError('not a decodable image: no picture in it'));
    });
  });
}

import { describe, expect, it } from 'vitest';
import { decodeImage, ImageDecodeError } from './decode-image.js';
import { gst } from './gst.js';

/** Encodes one test-pattern frame with GStreamer. */
function encoded(encoder: 'jpegenc' | 'pngenc'): Promise<Buffer> {
  const pipeline = new (gst().Pipeline)(
    `videotestsrc num-buffers=1 pattern=red ! video/x-raw,width=320,height=240 ! videoconvert ! ${encoder} ! appsink name=sink sync=false`,
  );
  pipeline.pollBus((m) => {
    if (m.type === 'eos') pipeline.stop();
  });
  pipeline.play();
  return new Promise((resolve) => pipeline.findChild('sink')!.pull((b) => resolve(b!)));
}

describe('decodeImage', () => {
  it('decodes JPEG and PNG into RGB of the asked size', async () => {
    for (const encoder of ['jpegenc', 'pngenc'] as const) {
      const frame = await decodeImage(await encoded(encoder), { width: 64, height: 48 });
      expect(frame).toMatchObject({ width: 64, height: 48, stride: 192 });
      expect(frame.data.length).toBe(192 * 48);
      const [r, g, b] = frame.data;
      expect(r).toBeGreaterThan(200);
      expect(g).toBeLessThan(40);
      expect(b).toBeLessThan(40);
    }
  });

  it('rejects data that is not an image, and a truncated image, with a clear error', async () => {
    await expect(
      decodeImage(Buffer.from('definitely not an image'), { width: 64, height: 48 }),
    ).rejects.toThrow(ImageDecodeError);
    const jpeg = await encoded('jpegenc');
    await expect(decodeImage(jpeg.subarray(0, 20), { width: 64, height: 48 })).rejects.toThrow(
      /not a decodable image/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { decodeImage, ImageDecodeError } from './decode-image.js';
import { encodeJpeg } from './encode-jpeg.js';
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

  it('turns a photo upright as its EXIF orientation says', async () => {
    // 64x32: the left half white, the right half black.
    const data = Buffer.alloc(64 * 32 * 3);
    for (let y = 0; y < 32; y++) data.fill(255, y * 192, y * 192 + 96);
    const jpeg = await encodeJpeg(
      { data, width: 64, height: 32, stride: 192, index: 0, ptsMs: 0 },
      { quality: 95 },
    );
    // EXIF in an APP1 segment after SOI: big-endian TIFF, one IFD entry, Orientation (0x0112) = 6,
    // "turn 90 degrees clockwise to view": the stored left half is the top of the picture.
    const tiff = Buffer.from([
      0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0,
    ]);
    const exif = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
    const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, 0, exif.length + 2]), exif]);
    const rotated = Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]);
    const frame = await decodeImage(rotated, { width: 32, height: 64 });
    const at = (x: number, y: number) => frame.data[y * frame.stride + x * 3]!;
    // Upright: the top half white and the bottom half black, across the whole width.
    expect(at(4, 8)).toBeGreaterThan(200);
    expect(at(28, 8)).toBeGreaterThan(200);
    expect(at(4, 56)).toBeLessThan(50);
    expect(at(28, 56)).toBeLessThan(50);
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

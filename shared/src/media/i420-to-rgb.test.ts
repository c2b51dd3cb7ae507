import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleLuma } from '../analysis/motion.js';
import { readFileFrames, readVideoI420Frames } from './file-frames.js';
import { type I420Frame, i420Layout, type RgbFrame, rgbStride } from './frame.js';
import { runToEos } from './gst.js';
import { I420ToRgb } from './i420-to-rgb.js';

/** The visible pixels of an RGB frame, row by row (the bytes that pad a row are GStreamer's leftovers). */
function pixels(frame: RgbFrame): string {
  const hash = createHash('sha256');
  for (let y = 0; y < frame.height; y++)
    hash.update(frame.data.subarray(y * frame.stride, y * frame.stride + frame.width * 3));
  return hash.digest('hex');
}

describe('readVideoI420Frames and I420ToRgb', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-i420-'));
  const clip = join(dir, 'clip.mp4');
  beforeAll(async () => {
    // 4:3 with a picture that moves and has colour (the ball), in 4:2:0 as a tower's recorder encodes
    // (a 4:4:4 stream would reach the RGB reader's conversion with its full chroma, and differ).
    await runToEos(
      `videotestsrc pattern=ball num-buffers=45 ! video/x-raw,format=I420,width=640,height=480,framerate=30/1 ! x264enc key-int-max=15 ! mp4mux ! filesink location=${clip}`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads I420 frames that convert to the very pixels the RGB reader gives, at a size whose rows are padded', async () => {
    // 322 px: RGB rows of 966 bytes padded to 968, a Y row padded to 324 and chroma rows of 161 to 164.
    const size = { width: 322, height: 242, fps: 10 };
    const rgb: string[] = [];
    for await (const frame of readFileFrames(clip, size))
      rgb.push(`${frame.index}@${frame.ptsMs}:${pixels(frame)}`);
    const converter = new I420ToRgb();
    const converted: string[] = [];
    const layout = i420Layout(size.width, size.height);
    const targets = [0, 1].map(() => Buffer.alloc(rgbStride(size.width) * size.height));
    try {
      for await (const frame of readVideoI420Frames({ path: clip }, { ...size, reuseBuffer: true })) {
        expect(frame.format).toBe('I420');
        expect(frame.data.length).toBe(layout.size);
        expect(frame.colorimetry).toMatch(/\w/); // the decoder's, handed on to the conversion
        // Straight from the reader's reused buffer (the converter copies it before it settles), into
        // one of two buffers of the caller's, as the hub's batch recycles them.
        const into = targets[frame.index % 2]!;
        const out = await converter.convert(frame, into);
        expect(out.data.buffer).toBe(into.buffer);
        expect([out.width, out.height, out.index, out.ptsMs]).toEqual([
          frame.width,
          frame.height,
          frame.index,
          frame.ptsMs,
        ]);
        converted.push(`${out.index}@${out.ptsMs}:${pixels(out)}`);
      }
    } finally {
      converter.close();
    }
    expect(rgb).toHaveLength(15);
    expect(new Set(rgb.map((r) => r.split(':')[1])).size).toBeGreaterThan(5); // the ball moves
    expect(converted).toEqual(rgb);
  });

  it('lays out odd sizes as GStreamer does (an odd height counted even, chroma rounded up)', async () => {
    const size = { width: 161, height: 121, fps: 10 };
    const rgb: string[] = [];
    for await (const frame of readFileFrames(clip, size)) rgb.push(pixels(frame));
    const converter = new I420ToRgb();
    const converted: string[] = [];
    try {
      for await (const frame of readVideoI420Frames({ path: clip }, size)) {
        expect(frame.data.length).toBe(i420Layout(161, 121).size);
        converted.push(pixels(await converter.convert(frame)));
      }
    } finally {
      converter.close();
    }
    expect(i420Layout(161, 121)).toEqual({
      yStride: 164,
      uvStride: 84,
      uOffset: 164 * 122,
      vOffset: 164 * 122 + 84 * 61,
      size: 164 * 122 + 2 * 84 * 61,
    });
    expect(converted).toHaveLength(15);
    expect(converted).toEqual(rgb);
  });

  it('gives the sampler the same luma scale from the Y plane as from RGB', async () => {
    const size = { width: 320, height: 240, fps: 5 };
    const fromRgb: Uint8Array[] = [];
    for await (const frame of readFileFrames(clip, size)) fromRgb.push(sampleLuma(frame).values);
    const fromY: Uint8Array[] = [];
    for await (const frame of readVideoI420Frames({ path: clip }, size)) fromY.push(sampleLuma(frame).values);
    expect(fromY).toHaveLength(fromRgb.length);
    // Video range stretched to full: black and white read 0 and 255 either way, and the rest within a
    // few levels (the Y plane's own weights are BT.709's at this size, the RGB grid's BT.601's).
    let worst = 0;
    let sum = 0;
    let n = 0;
    for (let f = 0; f < fromY.length; f++)
      for (let i = 0; i < fromY[f]!.length; i++) {
        const d = Math.abs(fromY[f]![i]! - fromRgb[f]![i]!);
        worst = Math.max(worst, d);
        sum += d;
        n++;
      }
    expect(sum / n).toBeLessThan(2);
    expect(worst).toBeLessThan(40);
    expect(Math.max(...fromY[0]!)).toBeGreaterThanOrEqual(250);
    expect(Math.min(...fromY[0]!)).toBeLessThanOrEqual(5);
  });

  it('refuses a frame whose buffer does not hold its size, and any frame once closed', async () => {
    const converter = new I420ToRgb();
    const frame: I420Frame = {
      format: 'I420',
      data: Buffer.alloc(10),
      width: 64,
      height: 48,
      index: 7,
      ptsMs: 0,
    };
    await expect(converter.convert(frame)).rejects.toThrow(/frame 7: 10 bytes is not 64x48 I420/);
    const grey = Buffer.alloc(i420Layout(64, 48).size, 128);
    const out = await converter.convert({ ...frame, data: grey });
    // Mid grey (Y = U = V = 128) converts to a grey of equal channels.
    expect(out.data[0]).toBe(out.data[1]);
    expect(out.data[1]).toBe(out.data[2]);
    converter.close();
    await expect(converter.convert({ ...frame, data: grey })).rejects.toThrow(/converter is closed/);
  });
});

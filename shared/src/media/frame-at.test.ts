import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIP_COLOURS, centreColour, nearestColour, writeColourClip } from '../testing/colour-clip.js';
import { FrameAtError, readFrameAt } from './frame-at.js';
import { gstStats } from './gst.js';

describe('readFrameAt: the frame a video shows at a position', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-frame-at-'));
  const clip = join(dir, 'colours.mp4');
  const size = { width: 896, height: 896 };

  beforeAll(() => writeColourClip(clip, CLIP_COLOURS));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('seeks to the exact frame (between key frames too), scaled to the size asked for', async () => {
    for (const [ms, second] of [
      [0, 0],
      [1500, 1],
      [2950, 2], // a frame before the key frame at 4 s, decoded from the one at 2 s
      [3050, 3],
      [5900, 5],
    ] as const) {
      const frame = await readFrameAt(clip, ms, size);
      expect(frame.width).toBe(896);
      expect(frame.data.length).toBe(896 * 896 * 3);
      expect(nearestColour(centreColour(frame)), `${ms} ms`).toBe(second);
    }
  });

  it('says why there is no frame: past the end, not a video, no such file, a bad position', async () => {
    await expect(readFrameAt(clip, 60_000, size)).rejects.toThrow(/ends before it|cannot seek/);
    const junk = join(dir, 'junk.mp4');
    writeFileSync(junk, 'not a video at all');
    await expect(readFrameAt(junk, 0, size)).rejects.toThrow(FrameAtError);
    await expect(readFrameAt(join(dir, 'none.mp4'), 0, size)).rejects.toThrow(/none\.mp4/);
    await expect(readFrameAt(clip, -1, size)).rejects.toThrow(/0 ms or more/);
    // Every pipeline is let go of (the teardown runs on its own thread).
    await expect.poll(() => gstStats().pipelines, { timeout: 3000 }).toBe(0);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileFrames } from '../media/file-frames.js';
import type { RgbFrame } from '../media/frame.js';
import { generateSampleVideo } from '../media/sample-video.js';

/**
 * Frames of a freshly generated sample clip (1280x720, fake patient identity burned in, see
 * sample-video.ts), decoded at `size` and `fps`, for tests that need real pictures with real text.
 * The clip lasts just long enough for `count` frames and is deleted once they are read.
 */
export async function sampleClipFrames(
  count: number,
  size: { width: number; height: number },
  fps = 2, // frames a second of the clip: 2 keeps neighbouring frames visibly apart
): Promise<RgbFrame[]> {
  const dir = mkdtempSync(join(tmpdir(), 'gic-sample-frames-'));
  try {
    const clip = join(dir, 'sample.mp4');
    await generateSampleVideo(clip, { seconds: Math.ceil(count / fps) + 1 });
    const frames: RgbFrame[] = [];
    for await (const frame of readFileFrames(clip, { ...size, fps })) {
      frames.push(frame);
      if (frames.length === count) break;
    }
    if (frames.length < count) throw new Error(`sample clip gave ${frames.length} frames, not ${count}`);
    return frames.slice(0, count);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

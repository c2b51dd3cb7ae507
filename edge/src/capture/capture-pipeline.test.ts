import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileFrames } from '@gic/shared/media/file-frames.js';
import type { RgbFrame } from '@gic/shared/media/frame.js';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CaptureEnd, CapturePipeline } from './capture-pipeline.js';
import type { CaptureLayout } from './pipeline-description.js';

const dir = mkdtempSync(join(tmpdir(), 'gic-capture-'));
const clip = join(dir, 'clip.mp4');

function run(layout: CaptureLayout): Promise<{ frames: RgbFrame[]; end: CaptureEnd }> {
  const frames: RgbFrame[] = [];
  return new Promise((resolve) => {
    const pipeline = new CapturePipeline(layout, {
      onFrame: async (frame) => {
        frames.push({ ...frame, data: Buffer.from(frame.data) });
      },
      onEnd: (end) => resolve({ frames, end }),
    });
    pipeline.start();
  });
}

/** Mean luma of a band of rows (0..255) and the share of its pixels bright enough to be text. */
function band(frame: RgbFrame, fromY: number, toY: number): { luma: number; bright: number } {
  let sum = 0;
  let bright = 0;
  let n = 0;
  for (let y = Math.floor(fromY * frame.height); y < Math.floor(toY * frame.height); y++) {
    for (let x = 0; x < frame.width; x++) {
      const p = y * frame.stride + x * 3;
      const l = 0.299 * frame.data[p]! + 0.587 * frame.data[p + 1]! + 0.114 * frame.data[p + 2]!;
      sum += l;
      if (l > 180) bright++;
      n++;
    }
  }
  return { luma: sum / n, bright: bright / n };
}

describe('CapturePipeline', () => {
  beforeAll(() => generateSampleVideo(clip, { seconds: 2, width: 640, height: 360 }), 60_000);

  it('samples the file at the analysis rate and records it with the on-screen display burned out', async () => {
    const recordingPath = join(dir, 'recording.mp4');
    const { frames, end } = await run({
      source: { kind: 'file', path: clip, loop: false },
      realtime: false,
      analysis: { width: 320, height: 180, fps: 3 },
      recordingPath,
      masks: [{ x: 0, y: 0, w: 1, h: 0.14 }],
    });
    expect(end).toEqual({ kind: 'eos' });
    expect(frames.map((f) => f.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(frames[3]).toMatchObject({ width: 320, height: 180, stride: 960, ptsMs: 1000 });
    // The analysis branch sees the text (bright pixels in the top band) ...
    expect(band(frames[0]!, 0.04, 0.09).bright).toBeGreaterThan(0.05);
    // ... the recording has none: the band is black, the rest of the picture is kept.
    expect(statSync(recordingPath).size).toBeGreaterThan(10_000);
    let recorded = 0;
    for await (const frame of readFileFrames(recordingPath, { width: 320, height: 180, fps: 3 })) {
      expect(band(frame, 0, 0.13).bright).toBe(0);
      expect(band(frame, 0, 0.13).luma).toBeLessThan(8);
      expect(band(frame, 0.3, 0.7).luma).toBeGreaterThan(30);
      recorded++;
    }
    expect(recorded).toBeGreaterThanOrEqual(5);
  });

  it('reports a truncated file as a source error instead of crashing', async () => {
    const truncated = join(dir, 'truncated.mp4');
    writeFileSync(truncated, readFileSync(clip).subarray(0, 4000));
    const { end } = await run({
      source: { kind: 'file', path: truncated, loop: false },
      realtime: false,
      analysis: { width: 320, height: 180, fps: 3 },
      masks: [],
    });
    expect(end.kind).toBe('error');
  });

  it('reports a missing file with the element and reason', async () => {
    const { end, frames } = await run({
      source: { kind: 'file', path: join(dir, 'nope.mp4'), loop: false },
      realtime: false,
      analysis: { width: 320, height: 180, fps: 3 },
      masks: [],
    });
    expect(frames).toEqual([]);
    expect(end).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/not found|No such file|Could not open/i),
    });
  });
});

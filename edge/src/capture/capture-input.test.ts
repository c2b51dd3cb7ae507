import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CaptureEnd, CapturePipeline } from './capture-pipeline.js';
import type { CaptureLayout } from './pipeline-description.js';
import type { ClosedSegment } from './segment-recorder.js';
import { bandLuma, probeVideo, writeTsClip } from './testing/test-clips.js';

const dir = mkdtempSync(join(tmpdir(), 'gic-capture-input-'));

interface Ran {
  frames: { index: number; bytes: number }[];
  end: CaptureEnd;
  closed: ClosedSegment[];
  warnings: string[];
}

function run(layout: Partial<CaptureLayout> & Pick<CaptureLayout, 'source'>): Promise<Ran> {
  const ran: Omit<Ran, 'end'> = { frames: [], closed: [], warnings: [] };
  return new Promise((resolve) => {
    new CapturePipeline(
      { realtime: false, analysis: { width: 160, height: 90, fps: 5 }, masks: [], ...layout },
      {
        onFrame: async (frame) => {
          ran.frames.push({ index: frame.index, bytes: frame.data.length });
        },
        onSegmentClosed: (segment) => ran.closed.push(segment),
        onWarning: (message) => ran.warnings.push(message),
        onEnd: (end) => resolve({ ...ran, end }),
      },
    ).start();
  });
}

const recording = (name: string, size = { width: 320, height: 180 }) => ({
  segmentPrefix: join(dir, name),
  segmentSeconds: 5,
  ...size,
  fps: 30,
});

describe('capture of changing and damaged input', () => {
  const changing = join(dir, 'changing.ts');
  const whole = join(dir, 'whole.ts');
  beforeAll(async () => {
    // A tower that switches output mode: 3 s of 640x360 at 30 fps, then 3 s of 1280x720 at 25 fps,
    // in one MPEG-TS stream (two files joined byte for byte, as a capture would hand them on).
    await writeTsClip(join(dir, 'a.ts'), { seconds: 3, width: 640, height: 360, fps: 30 });
    await writeTsClip(join(dir, 'b.ts'), { seconds: 3, width: 1280, height: 720, fps: 25 });
    writeFileSync(
      changing,
      Buffer.concat([readFileSync(join(dir, 'a.ts')), readFileSync(join(dir, 'b.ts'))]),
    );
    await writeTsClip(whole, { seconds: 6, width: 320, height: 180 });
  }, 60_000);

  it('keeps analysing and recording at the pinned size and rate when the source changes both mid-stream', async () => {
    const input = await probeVideo(changing);
    expect(input.sizes).toEqual(['640x360', '1280x720']);
    // Pinned at 4:3, so the 16:9 source is letterboxed: black bars above and below, picture kept.
    const ran = await run({
      source: { kind: 'file', path: changing, loop: false },
      recording: recording('changing', { width: 480, height: 360 }),
    });
    expect(ran.end).toEqual({ kind: 'eos' });
    // 6 s at 5 fps, every one at the analysis size, through the change.
    expect(ran.frames.length).toBeGreaterThanOrEqual(29);
    expect(new Set(ran.frames.map((f) => f.bytes))).toEqual(new Set([160 * 3 * 90]));
    expect(ran.closed.map((s) => s.error)).toEqual([undefined, undefined]);
    let recorded = 0;
    for (const segment of ran.closed) {
      const probed = await probeVideo(segment.path);
      expect(probed.sizes).toEqual(['480x360']);
      expect(bandLuma(probed.first!, 0, 0.1)).toBeLessThan(5);
      expect(bandLuma(probed.first!, 0.3, 0.7)).toBeGreaterThan(30);
      recorded += probed.durationMs;
    }
    expect(Math.abs(recorded - 6000)).toBeLessThanOrEqual(100);
  });
});

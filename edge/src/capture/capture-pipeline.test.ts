import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileFrames } from '@gic/shared/media/file-frames.js';
import type { RgbFrame } from '@gic/shared/media/frame.js';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CaptureEnd, CapturePipeline } from './capture-pipeline.js';
import type { CaptureLayout } from './pipeline-description.js';
import type { ClosedSegment, Segment } from './segment-recorder.js';
import { bandLuma, probeVideo } from './testing/test-clips.js';

const dir = mkdtempSync(join(tmpdir(), 'gic-capture-'));
const clip = join(dir, 'clip.mp4');

interface Ran {
  frames: RgbFrame[];
  end: CaptureEnd;
  opened: Segment[];
  closed: (ClosedSegment & { sizeAtClose: number })[];
}

/** Runs a pipeline to its end; each frame's handling takes `frameMs` (a slow model). */
function run(layout: CaptureLayout, frameMs = 0): Promise<Ran> {
  const ran: Omit<Ran, 'end'> = { frames: [], opened: [], closed: [] };
  return new Promise((resolve) => {
    const pipeline = new CapturePipeline(layout, {
      onFrame: async (frame) => {
        ran.frames.push({ ...frame, data: Buffer.from(frame.data) });
        if (frameMs) await new Promise((r) => setTimeout(r, frameMs));
      },
      onSegmentOpened: (segment) => ran.opened.push(segment),
      onSegmentClosed: (segment) => ran.closed.push({ ...segment, sizeAtClose: statSync(segment.path).size }),
      onEnd: (end) => resolve({ ...ran, end }),
    });
    pipeline.start();
  });
}

const recording = (name: string, segmentSeconds = 60) => ({
  segmentPrefix: join(dir, name),
  segmentSeconds,
  width: 320,
  height: 180,
  fps: 30,
});

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
    const { frames, end, opened, closed } = await run({
      source: { kind: 'file', path: clip, loop: false },
      realtime: false,
      analysis: { width: 320, height: 180, fps: 3 },
      recording: recording('recording'),
      masks: [{ x: 0, y: 0, w: 1, h: 0.14 }],
    });
    const recordingPath = join(dir, 'recording-00000.mp4');
    expect(opened).toEqual([{ path: recordingPath, index: 0 }]);
    expect(closed).toMatchObject([{ path: recordingPath, index: 0, durationMs: 2000 }]);
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

  it('hands every sampled frame of a file to the analysis before the run ends, however slow it is', async () => {
    // The appsink holds frames when the end of stream reaches it; it waits until they are pulled
    // (wait-on-eos) before the bus hears of the end, so none is lost to a slow analysis.
    const { frames, end } = await run(
      {
        source: { kind: 'file', path: clip, loop: false },
        realtime: false,
        analysis: { width: 320, height: 180, fps: 3 },
        recording: recording('slow'),
        masks: [],
      },
      400,
    );
    expect(end).toEqual({ kind: 'eos' });
    expect(frames.map((f) => f.index)).toEqual([0, 1, 2, 3, 4, 5]);
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

describe('CapturePipeline segments', () => {
  const long = join(dir, 'twelve-seconds.mp4');
  beforeAll(() => generateSampleVideo(long, { seconds: 12, width: 320, height: 180 }), 60_000);

  it('cuts a 12 s clip into 5 s segments, each complete when reported, playable, masked, adding up to the clip', async () => {
    const started = performance.now();
    const { end, frames, opened, closed } = await run({
      source: { kind: 'file', path: long, loop: false },
      realtime: false,
      analysis: { width: 160, height: 90, fps: 3 },
      recording: recording('twelve', 5),
      masks: [{ x: 0, y: 0, w: 1, h: 0.14 }],
    });
    const elapsedMs = performance.now() - started;
    expect(end).toEqual({ kind: 'eos' });
    expect(frames).toHaveLength(36);
    const paths = [0, 1, 2].map((i) => join(dir, `twelve-0000${i}.mp4`));
    expect(opened).toEqual(paths.map((path, index) => ({ path, index })));
    // Reported in order, each only once the file is whole: nothing is written to it afterwards.
    expect(closed.map((s) => [s.index, s.durationMs])).toEqual([
      [0, 5000],
      [1, 5000],
      [2, 2000],
    ]);
    for (const s of closed) expect(statSync(s.path).size).toBe(s.sizeAtClose);
    let total = 0;
    for (const path of paths) {
      const probed = await probeVideo(path);
      expect(probed.sizes).toEqual(['320x180']);
      // The on-screen display stays burned out in every segment.
      expect(bandLuma(probed.first!, 0, 0.13)).toBeLessThan(8);
      expect(bandLuma(probed.first!, 0.3, 0.7)).toBeGreaterThan(30);
      total += probed.durationMs;
    }
    expect(Math.abs(total - 12_000)).toBeLessThanOrEqual(100);
    console.info(`12 s clip, 5 s segments: ${elapsedMs.toFixed(0)} ms, ${total} ms recorded`);
  });

  it('ends a live run it is asked to stop as stopped, not as the source ending, with its segment whole', async () => {
    // The stop's own end of stream reaches the bus: were that taken for the source's end, a live
    // tower's procedure would be left open (lost source) instead of ended for the shutdown.
    const opened: Segment[] = [];
    const closed: ClosedSegment[] = [];
    let end: CaptureEnd | undefined;
    let frames = 0;
    const pipeline = new CapturePipeline(
      {
        source: { kind: 'test' },
        realtime: true,
        analysis: { width: 160, height: 90, fps: 5 },
        masks: [],
        recording: recording('stopped'),
      },
      {
        onFrame: async () => {
          frames++;
        },
        onSegmentOpened: (segment) => opened.push(segment),
        onSegmentClosed: (segment) => closed.push(segment),
        onEnd: (e) => {
          end = e;
        },
      },
    );
    pipeline.start();
    while (frames < 5 || opened.length === 0) await new Promise((r) => setTimeout(r, 20));
    await pipeline.stop();
    expect(end).toEqual({ kind: 'stopped' });
    expect(closed.map((s) => [s.index, s.error])).toEqual([[0, undefined]]);
    const probed = await probeVideo(closed[0]!.path);
    expect(Math.abs(probed.durationMs - closed[0]!.durationMs)).toBeLessThanOrEqual(34);
    expect(probed.durationMs).toBeGreaterThan(0);
  });
});

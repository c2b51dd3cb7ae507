import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CaptureEnd, CapturePipeline } from './capture-pipeline.js';
import { CaptureSupervisor, type SourceState } from './capture-supervisor.js';
import type { CaptureLayout } from './pipeline-description.js';
import type { ClosedSegment } from './segment-recorder.js';
import { bandLuma, probeVideo, writeTsClip } from './testing/test-clips.js';

const dir = mkdtempSync(join(tmpdir(), 'gic-capture-input-'));
const analysis = { width: 160, height: 90, fps: 5 };

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
      { realtime: false, analysis, masks: [], ...layout },
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

  it('reports an MP4 cut in half (its index was at the end) with the element and reason, and never throws', async () => {
    const half = join(dir, 'half.mp4');
    await generateSampleVideo(join(dir, 'full.mp4'), { seconds: 4, width: 320, height: 180 });
    const full = readFileSync(join(dir, 'full.mp4'));
    writeFileSync(half, full.subarray(0, full.length / 2));
    const states: { state: SourceState; message?: string }[] = [];
    let runs = 0;
    const supervisor = new CaptureSupervisor(
      { source: { kind: 'file', path: half, loop: false }, realtime: false, analysis, masks: [] },
      dir,
      {
        onRunStart: () => {},
        onFrame: async () => {},
        onSegmentOpened: () => {},
        onSegmentClosed: () => {},
        onRecorderError: () => {},
        onRunEnd: async () => {
          runs++;
        },
        onState: (state, message) => states.push({ state, ...(message ? { message } : {}) }),
      },
      { minBackoffMs: 50, maxBackoffMs: 100 },
    );
    const done = supervisor.start();
    while (runs < 2) await new Promise((r) => setTimeout(r, 20));
    await supervisor.stop();
    expect(await done).toEqual({ kind: 'stopped' });
    expect(states[0]).toEqual({ state: 'starting' });
    expect(states[1]).toEqual({
      state: 'no-signal',
      message: 'demux (GstQTDemux): This file contains no playable streams. (no known streams found)',
    });
  });

  it('plays an MPEG-TS cut short up to the cut, then ends, with everything up to there recorded', async () => {
    const cut = join(dir, 'cut.ts');
    const bytes = readFileSync(whole);
    // Cut mid-packet, as a copy interrupted at an arbitrary byte leaves it.
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2) + 101));
    const ran = await run({ source: { kind: 'file', path: cut, loop: false }, recording: recording('cut') });
    expect(ran.end).toEqual({ kind: 'eos' });
    // About half of 6 s at 5 fps.
    expect(ran.frames.length).toBeGreaterThanOrEqual(12);
    expect(ran.frames.length).toBeLessThanOrEqual(18);
    expect(ran.closed).toHaveLength(1);
    const probed = await probeVideo(ran.closed[0]!.path);
    expect(probed.durationMs).toBe(ran.closed[0]!.durationMs);
    expect(probed.durationMs).toBeGreaterThanOrEqual(2400);
  });

  it('analyses and records on past a stretch of damaged bytes in an MPEG-TS', async () => {
    const damaged = join(dir, 'damaged.ts');
    const bytes = Buffer.from(readFileSync(whole));
    // 32 KB of noise over the middle of the stream: packet headers, slices, whatever is there.
    let seed = 7;
    const from = Math.floor(bytes.length / 2);
    for (let i = from; i < from + 32 * 1024; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      bytes[i] = seed >> 16;
    }
    writeFileSync(damaged, bytes);
    const ran = await run({
      source: { kind: 'file', path: damaged, loop: false },
      recording: recording('damaged'),
    });
    expect(ran.end).toEqual({ kind: 'eos' });
    // Frames after the damage arrive: nearly all of 6 s at 5 fps.
    expect(ran.frames.length).toBeGreaterThanOrEqual(26);
    expect(ran.closed.map((s) => s.error)).toEqual([undefined, undefined]);
    let recorded = 0;
    for (const segment of ran.closed) recorded += (await probeVideo(segment.path)).durationMs;
    expect(recorded).toBeGreaterThanOrEqual(5000);
    // The damage is reported, as a warning the run lives through.
    expect(ran.warnings.some((w) => w.startsWith('tsdemux') && w.includes('(GstTSDemux)'))).toBe(true);
    console.info(
      `damaged TS: ${ran.frames.length} frames, ${recorded} ms recorded, warnings: ${ran.warnings.join(' | ') || 'none'}`,
    );
  });
});

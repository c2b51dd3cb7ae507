import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CaptureEnd, CapturePipeline } from './capture-pipeline.js';
import { type CaptureRun, CaptureSupervisor } from './capture-supervisor.js';
import type { ClosedSegment, Segment } from './segment-recorder.js';
import { probeVideo } from './testing/test-clips.js';

const dir = mkdtempSync(join(tmpdir(), 'gic-capture-recording-'));
const clip = join(dir, 'clip.mp4');
const analysis = { width: 160, height: 90, fps: 5 };

// Deadlines are generous: these tests check what happens, in order; how fast is for the benchmarks.
const until = async (what: string, check: () => boolean, timeoutMs = 60_000) => {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('recording on and off, and a recorder that fails', () => {
  beforeAll(() => generateSampleVideo(clip, { seconds: 8, width: 320, height: 180 }), 60_000);

  it('closes the open segment when recording is turned off, analyses on, and records again into a new one', async () => {
    let frames = 0;
    const opened: (Segment & { at: number })[] = [];
    const closed: (ClosedSegment & { at: number })[] = [];
    let end: CaptureEnd | undefined;
    const pipeline = new CapturePipeline(
      {
        source: { kind: 'file', path: clip, loop: false },
        realtime: true, // paced like a live tower
        analysis,
        masks: [],
        recording: {
          segmentPrefix: join(dir, 'toggled'),
          segmentSeconds: 60,
          width: 320,
          height: 180,
          fps: 30,
        },
      },
      {
        onFrame: async () => {
          frames++;
        },
        onSegmentOpened: (s) => opened.push({ ...s, at: performance.now() }),
        onSegmentClosed: (s) => closed.push({ ...s, at: performance.now() }),
        onEnd: (e) => {
          end = e;
        },
      },
    );
    pipeline.start();
    await until('the first segment', () => opened.length === 1);
    // Some video into it (7 analysed frames at 5 fps: 1.4 s of the clip), however slow the machine.
    const framesAtOpen = frames;
    await until('video into the first segment', () => frames >= framesAtOpen + 7);
    const offAt = performance.now();
    await pipeline.setRecording(false);
    const closeMs = performance.now() - offAt;
    // Closed, whole, by the time setRecording(false) resolves.
    expect(closed).toHaveLength(1);
    expect(closed[0]!.error).toBeUndefined();
    const framesWhenOff = frames;
    // Analysis goes on while nothing is recorded.
    await until('analysis with recording off', () => frames >= framesWhenOff + 7);
    expect(opened).toHaveLength(1);
    const onAt = performance.now();
    await pipeline.setRecording(true);
    await until('a new segment', () => opened.length === 2);
    const reopenMs = opened[1]!.at - onAt;
    const framesWhenOn = frames;
    await until('the end of the clip', () => end !== undefined);
    expect(end).toEqual({ kind: 'eos' });
    expect(frames).toBeGreaterThan(framesWhenOn);
    expect(closed.map((s) => [s.index, s.error])).toEqual([
      [0, undefined],
      [1, undefined],
    ]);
    for (const s of closed) {
      const probed = await probeVideo(s.path);
      expect(Math.abs(probed.durationMs - s.durationMs)).toBeLessThanOrEqual(34);
      expect(probed.durationMs).toBeGreaterThanOrEqual(1000);
    }
    console.info(
      `recording off: segment closed in ${closeMs.toFixed(0)} ms; on: new segment in ${reopenMs.toFixed(0)} ms; durations ${closed.map((s) => s.durationMs).join(', ')} ms`,
    );
  }, 180_000);

  it('reports a disk that refuses writes, keeps analysing and every earlier segment, and records again later', async () => {
    const events: string[] = [];
    const closed: ClosedSegment[] = [];
    const errors: { message: string; framesThen: number; at: number }[] = [];
    const opens: number[] = [];
    const retries: number[] = []; // the supervisor's own schedule of recorder retries (ms)
    let runs: CaptureRun[] = [];
    let frames = 0;
    const supervisor = new CaptureSupervisor(
      {
        source: { kind: 'file', path: clip, loop: false },
        realtime: true,
        analysis,
        masks: [],
        recording: { segmentSeconds: 2, width: 320, height: 180, fps: 30 },
      },
      dir,
      {
        onRunStart: (run) => {
          runs = [...runs, run];
        },
        onFrame: async () => {
          frames++;
        },
        onSegmentOpened: (run, segment) => {
          events.push(`opened ${segment.index}`);
          // The next two files go to a device that is always full: every write fails with ENOSPC.
          if (segment.index === 0) {
            symlinkSync('/dev/full', `${run.segmentPrefix}-00001.mp4`);
            symlinkSync('/dev/full', `${run.segmentPrefix}-00002.mp4`);
          }
          opens.push(performance.now());
        },
        onSegmentClosed: (_run, segment) => {
          events.push(`closed ${segment.index}${segment.error ? ' (failed)' : ''}`);
          closed.push(segment);
        },
        onRecorderError: (_run, message) => {
          events.push('recorder error');
          errors.push({ message, framesThen: frames, at: performance.now() });
        },
        onRunEnd: async () => {},
        onState: () => {},
        onRetryScheduled: (what, delayMs) => {
          if (what === 'recorder') retries.push(delayMs);
        },
      },
      { recorderRetryMs: 500 },
    );
    expect(await supervisor.start()).toEqual({ kind: 'eos' });
    expect(runs).toHaveLength(1);
    expect(
      errors.map((e) => e.message),
      events.join(', '),
    ).toHaveLength(2);
    expect(errors[0]!.message).toMatch(/-00001\.mp4: file \(GstFileSink\): No space left/);
    expect(errors[1]!.message).toMatch(/-00002\.mp4: file \(GstFileSink\): No space left/);
    // The analysis went on after the recorder failed.
    expect(frames).toBeGreaterThan(errors[1]!.framesThen);
    // Segment 0 finishes in the background while segment 1 fails at its first write.
    expect(events.slice(0, 2)).toEqual(['opened 0', 'opened 1']);
    expect(events.slice(2, 5).sort()).toEqual(['closed 0', 'closed 1 (failed)', 'recorder error']);
    // Retried after 500 ms, then (failing again) after 1000 ms: the wait doubles, and no retry
    // opens a segment before its time.
    expect(retries).toEqual([500, 1000]);
    const retryGaps = [opens[2]! - errors[0]!.at, opens[3]! - errors[1]!.at];
    expect(retryGaps[0]).toBeGreaterThanOrEqual(500 - 5);
    expect(retryGaps[1]).toBeGreaterThanOrEqual(1000 - 5);
    // The segment before the failures is whole; recording came back into new segments after them.
    const good = closed.filter((s) => !s.error);
    expect(good[0]).toMatchObject({ index: 0, durationMs: 2000 });
    expect(good.length).toBeGreaterThanOrEqual(2);
    expect(good.slice(1).every((s) => s.index >= 3)).toBe(true);
    let recorded = 0;
    for (const s of good) recorded += (await probeVideo(s.path)).durationMs;
    console.info(
      `full disk: ${events.join(', ')}; retried after ${retryGaps.map((g) => g.toFixed(0)).join(', ')} ms; ${recorded} ms recorded of 8000; ${errors[0]!.message}`,
    );
    expect(recorded).toBeGreaterThan(good[0]!.durationMs); // and more after the failures
  }, 180_000);
});

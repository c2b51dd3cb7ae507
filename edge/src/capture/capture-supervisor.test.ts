import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CaptureRun, CaptureSupervisor, type SourceState, sourceName } from './capture-supervisor.js';
import type { ClosedSegment } from './segment-recorder.js';

const dir = mkdtempSync(join(tmpdir(), 'gic-supervisor-'));
const clip = join(dir, 'clip.mp4');
const analysis = { width: 160, height: 96, fps: 5 };

function watch(path: string, loop: boolean) {
  const states: { state: SourceState; message?: string }[] = [];
  const runs: { run: CaptureRun; end: string }[] = [];
  const closed: ClosedSegment[] = [];
  const retries: number[] = [];
  let started = 0;
  const supervisor = new CaptureSupervisor(
    { source: { kind: 'file', path, loop }, realtime: false, analysis, masks: [] },
    dir,
    {
      onRunStart: () => {
        started++;
      },
      onFrame: async () => {},
      onSegmentOpened: () => {},
      onSegmentClosed: (_run, segment) => {
        closed.push(segment);
      },
      onRecorderError: () => {},
      onRunEnd: async (run, end) => {
        runs.push({ run, end: end.kind });
      },
      onState: (state, message) => states.push({ state, ...(message ? { message } : {}) }),
      onRetryScheduled: (what, delayMs) => {
        if (what === 'source') retries.push(delayMs);
      },
    },
    { minBackoffMs: 50, maxBackoffMs: 200 },
  );
  return { supervisor, states, runs, closed, retries, started: () => started };
}

const until = async (check: () => boolean, timeoutMs = 20_000) => {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('CaptureSupervisor', () => {
  beforeAll(() => generateSampleVideo(clip, { seconds: 1, width: 320, height: 180 }), 60_000);

  it('ends for good at the end of a file that does not loop, each run recorded under its own prefix', async () => {
    const w = watch(clip, false);
    expect(await w.supervisor.start()).toEqual({ kind: 'eos' });
    expect(w.states.map((s) => s.state)).toEqual(['starting', 'live', 'ended']);
    expect(w.runs).toHaveLength(1);
    const { run } = w.runs[0]!;
    expect(run).toMatchObject({ frames: 5, segments: 1, segmentPrefix: join(dir, run.id) });
    expect(w.closed).toEqual([{ path: `${run.segmentPrefix}-00000.mp4`, index: 0, durationMs: 1000 }]);
    expect(existsSync(w.closed[0]!.path)).toBe(true);
  });

  it('starts a looping file over at its end until stopped', async () => {
    const w = watch(clip, true);
    const done = w.supervisor.start();
    await until(() => w.started() >= 3);
    await w.supervisor.stop();
    expect(await done).toEqual({ kind: 'stopped' });
    expect(w.runs.slice(0, 2).map((r) => r.end)).toEqual(['eos', 'eos']);
    expect(w.states.some((s) => s.state === 'no-signal')).toBe(false);
    expect(w.retries).toEqual([]); // a loop starts over at once
  });

  it('reports a lost source as no signal, retries with backoff, and recovers when video comes back', async () => {
    const later = join(dir, 'arrives-later.mp4');
    const w = watch(later, false);
    const done = w.supervisor.start();
    await until(() => w.runs.length >= 3);
    expect(w.started()).toBe(0);
    const noSignal = w.states.filter((s) => s.state === 'no-signal');
    expect(noSignal.length).toBeGreaterThanOrEqual(3);
    expect(noSignal[0]!.message).toMatch(/arrives-later\.mp4|not found|No such file|Could not open/i);
    // A run that never delivers video opens no segment; each run has a prefix of its own.
    expect(w.runs.every((r) => r.run.segments === 0)).toBe(true);
    expect(new Set(w.runs.map((r) => r.run.segmentPrefix)).size).toBe(w.runs.length);
    // The backoff: 50 ms doubling, up to 200 ms.
    expect(w.retries.slice(0, 3)).toEqual([50, 100, 200]);
    copyFileSync(clip, later);
    expect(await done).toEqual({ kind: 'eos' });
    expect(w.started()).toBe(1);
    expect(w.states.at(-2)!.state).toBe('live');
  });

  it('names a source in messages without an RTSP password', () => {
    expect(sourceName({ kind: 'rtsp', url: 'rtsp://admin:secret@cam.local:554/stream1' })).toBe(
      'RTSP source rtsp://cam.local:554/stream1',
    );
    expect(sourceName({ kind: 'v4l2', device: '/dev/video0' })).toBe('capture device /dev/video0');
  });
});

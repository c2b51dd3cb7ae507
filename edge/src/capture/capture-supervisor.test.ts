import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CaptureRun, CaptureSupervisor, type SourceState } from './capture-supervisor.js';

const dir = mkdtempSync(join(tmpdir(), 'gic-supervisor-'));
const clip = join(dir, 'clip.mp4');
const analysis = { width: 160, height: 96, fps: 5 };

function watch(path: string, loop: boolean) {
  const states: { state: SourceState; message?: string }[] = [];
  const runs: { run: CaptureRun; end: string }[] = [];
  let started = 0;
  const supervisor = new CaptureSupervisor(
    { source: { kind: 'file', path, loop }, realtime: false, analysis, masks: [] },
    dir,
    {
      onRunStart: () => {
        started++;
      },
      onFrame: async () => {},
      onRunEnd: async (run, end) => {
        runs.push({ run, end: end.kind });
      },
      onState: (state, message) => states.push({ state, ...(message ? { message } : {}) }),
    },
    { minBackoffMs: 50, maxBackoffMs: 200 },
  );
  return { supervisor, states, runs, started: () => started };
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

  it('ends for good at the end of a file that does not loop, each run recorded to its own file', async () => {
    const w = watch(clip, false);
    expect(await w.supervisor.start()).toEqual({ kind: 'eos' });
    expect(w.states.map((s) => s.state)).toEqual(['starting', 'live', 'ended']);
    expect(w.runs).toHaveLength(1);
    expect(w.runs[0]!.run.frames).toBe(5);
    expect(existsSync(w.runs[0]!.run.recordingPath)).toBe(true);
  });

  it('starts a looping file over at its end until stopped', async () => {
    const w = watch(clip, true);
    const done = w.supervisor.start();
    await until(() => w.started() >= 3);
    await w.supervisor.stop();
    expect(await done).toEqual({ kind: 'stopped' });
    expect(w.runs.slice(0, 2).map((r) => r.end)).toEqual(['eos', 'eos']);
    expect(w.states.some((s) => s.state === 'no-signal')).toBe(false);
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
    // Each failed run's empty recording is left to the caller; the next run uses a new file.
    expect(new Set(w.runs.map((r) => r.run.recordingPath)).size).toBe(w.runs.length);
    copyFileSync(clip, later);
    expect(await done).toEqual({ kind: 'eos' });
    expect(w.started()).toBe(1);
    expect(w.states.at(-2)!.state).toBe('live');
  });
});

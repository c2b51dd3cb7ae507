import { describe, expect, it } from 'vitest';
import { clock, problems, procedureState, recordedLine, size, sourceLine, syncLine } from './format.js';
import type { LiveState } from './live-types.js';

const state = (over: Partial<LiveState> = {}): LiveState => ({
  source: { kind: 'file', label: 'sample.mp4', state: 'live' },
  procedure: null,
  procedurePending: false,
  operator: null,
  latest: null,
  framesAnalysed: 0,
  analysisFps: 0,
  disk: null,
  sync: { connected: true, pendingEvents: 0 },
  ...over,
});

describe('the in-room screen wording', () => {
  it('says times as mm:ss and sizes in kB or MB', () => {
    expect(clock(0)).toBe('00:00');
    expect(clock(61.9)).toBe('01:01');
    expect(clock(3600)).toBe('60:00');
    // Started after the screen's last tick: not a negative time.
    expect(clock(-0.4)).toBe('00:00');
    expect(clock(Number.NaN)).toBe('00:00');
    expect(size(1)).toBe('1 kB');
    expect(size(999_999)).toBe('1000 kB');
    expect(size(1_250_000)).toBe('1.3 MB');
  });

  it('lists every problem for the banner, and a stalled analysis is never shown as live', () => {
    const s = state({
      source: { kind: 'v4l2', label: 'cam', state: 'no-signal' },
      analysis: { state: 'stalled', message: 'no frame for 5 s', restarts: 2 },
      latest: {
        latencyMs: 1,
        quality: { blurred: false, exposure: 'ok', inBody: true },
        privacyRegions: [],
        detections: [],
        models: [],
        modelsOff: [{ id: 'polyp', reason: 'file missing' }],
      },
      disk: { warning: 'only 2 GB free' },
      recorder: { recording: false, error: 'disk full' },
    });
    expect(problems(s)).toEqual([
      'NO SIGNAL: video source lost',
      'ANALYSIS STALLED: no frame for 5 s (restart 2)',
      'MODEL OFF: polyp - file missing',
      'DISK LOW: only 2 GB free',
      'RECORDING FAILED: disk full',
    ]);
    expect(sourceLine(s)).toBe('v4l2: cam (analysis stalled)');
    expect(problems(state())).toEqual([]);
  });

  it('says who started the procedure, and what was recorded once it ended', () => {
    const p = { id: 'p', startedAt: '2026-01-01T10:00:00Z', frames: 18, trigger: 'operator' as const };
    expect(procedureState(state({ procedure: { ...p, operator: 'Dr. A' } }))).toBe('(started by Dr. A)');
    expect(procedureState(state({ procedure: { ...p, trigger: 'auto' } }))).toBe('(started by itself)');
    expect(procedureState(state({ procedurePending: true }))).toBe('(starting: scope in the body)');
    const ended = { ...p, endedAt: '2026-01-01T10:00:06Z' };
    expect(procedureState(state({ procedure: ended }))).toBe('(ended)');
    expect(
      recordedLine(
        state({ procedure: ended, recorded: { segments: 1, bytes: 812_000, state: 'verified' } }),
        0,
      ),
    ).toBe('Procedure 00:06, 18 frames; video: 1 segment(s), 812 kB, verified at the hub.');
    expect(recordedLine(state(), 0)).toBe('No procedure was recorded.');
    expect(syncLine(state({ sync: { connected: false, pendingEvents: 3 } }))).toBe('offline, 3 pending');
  });
});

import { describe, expect, it } from 'vitest';
import type { SourceState } from '../capture/capture-supervisor.js';
import { type AnalysisHealth, AnalysisWatchdog } from './analysis-watchdog.js';

function harness(stallMs = 10_000) {
  let now = 0;
  let source: SourceState = 'live';
  const restarts: string[] = [];
  const changes: AnalysisHealth[] = [];
  const dog = new AnalysisWatchdog(stallMs, {
    sourceState: () => source,
    restart: async (reason) => {
      restarts.push(reason);
    },
    changed: (h) => changes.push(h),
    now: () => now,
  });
  const advance = async (ms: number) => {
    for (let t = 0; t < ms; t += 1000) {
      now += 1000;
      dog.tick();
      await Promise.resolve();
    }
  };
  return {
    dog,
    restarts,
    changes,
    advance,
    setSource: (s: SourceState) => {
      source = s;
    },
  };
}

describe('AnalysisWatchdog', () => {
  it('calls a live source with no analysed frame for the stall time stalled, and restarts the capture', async () => {
    const h = harness();
    h.dog.frameAnalysed();
    expect(h.dog.health.state).toBe('running');
    await h.advance(9000);
    expect(h.dog.health.state).toBe('running');
    await h.advance(1000);
    expect(h.dog.health).toMatchObject({ state: 'stalled', restarts: 1 });
    expect(h.dog.health.message).toMatch(/no frame analysed for 10 s while the source is live/);
    expect(h.restarts).toHaveLength(1);
  });

  it('restarts again with a doubling gap while the stall lasts, and clears at the next analysed frame', async () => {
    const h = harness();
    await h.advance(10_000); // stalled, restart 1
    await h.advance(10_000); // gap 10 s: restart 2
    await h.advance(10_000); // gap 20 s: not yet
    expect(h.restarts).toHaveLength(2);
    await h.advance(10_000);
    expect(h.restarts).toHaveLength(3);
    expect(h.dog.health.message).toMatch(/for 40 s/);
    h.dog.frameAnalysed();
    expect(h.dog.health).toEqual({ state: 'running', restarts: 3 });
    // A new stall starts over with the short gap.
    await h.advance(10_000);
    await h.advance(10_000);
    expect(h.restarts).toHaveLength(5);
  });

  it('never calls a lost, ended or starting source stalled', async () => {
    const h = harness(3000);
    for (const state of ['no-signal', 'ended', 'starting'] as const) {
      h.setSource(state);
      await h.advance(20_000);
      expect(h.dog.health.state).toBe('idle');
    }
    expect(h.restarts).toHaveLength(0);
    // Live again: it has the whole stall time from now for its first frame.
    h.setSource('live');
    await h.advance(2000);
    expect(h.dog.health.state).toBe('idle');
    await h.advance(1000);
    expect(h.dog.health.state).toBe('stalled');
  });

  it('keeps counting a stall through the restarted run starting again, until a frame is analysed', async () => {
    const h = harness(3000);
    await h.advance(3000);
    expect(h.dog.health.state).toBe('stalled');
    h.setSource('starting');
    h.dog.sourceStarted();
    await h.advance(3000);
    expect(h.dog.health.state).toBe('stalled');
    expect(h.restarts).toHaveLength(2);
    h.setSource('no-signal');
    await h.advance(1000);
    expect(h.dog.health.state).toBe('idle');
    expect(h.changes.map((c) => c.state)).toEqual(['stalled', 'stalled', 'idle']);
  });
});

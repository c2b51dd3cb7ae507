import { describe, expect, it } from 'vitest';
import { canDo, countsLine, isLive, progress } from './rollout-api.js';

describe('the rollout pages’ reading of a rollout', () => {
  it('offers each action only from the statuses the hub allows it from', () => {
    expect(canDo('pause', 'running')).toBe(true);
    expect(canDo('pause', 'paused')).toBe(false);
    expect(canDo('resume', 'paused')).toBe(true);
    expect(canDo('resume', 'running')).toBe(false);
    expect(canDo('rollback', 'completed')).toBe(true);
    expect(canDo('rollback', 'rolled-back')).toBe(false);
  });
  it('shares the bar among the states with devices, in order, and says the counts', () => {
    const counts = { failed: 1, healthy: 3 };
    expect(progress(counts)).toEqual([
      { state: 'healthy', n: 3, share: 0.75 },
      { state: 'failed', n: 1, share: 0.25 },
    ]);
    expect(countsLine(counts)).toBe('4 device(s): 3 healthy, 1 failed');
    expect(countsLine({})).toBe('0 device(s)');
  });
  it('is live while running or paused, or while a device has still to answer or be told', () => {
    expect(isLive({ status: 'paused', counts: { healthy: 1 } })).toBe(true);
    expect(isLive({ status: 'completed', counts: { healthy: 2 } })).toBe(false);
    expect(isLive({ status: 'rolled-back', counts: { 'rolling-back': 1 } })).toBe(true);
    // Just rolled back: the driver has not told the healthy device yet.
    expect(isLive({ status: 'rolled-back', counts: { healthy: 1 } })).toBe(true);
    expect(isLive({ status: 'rolled-back', counts: { 'rolled-back': 1, failed: 1 } })).toBe(false);
    expect(isLive({ status: 'aborted', counts: { deferred: 1, failed: 1 } })).toBe(true);
    expect(isLive({ status: 'aborted', counts: { pending: 3, failed: 1 } })).toBe(false);
  });
});

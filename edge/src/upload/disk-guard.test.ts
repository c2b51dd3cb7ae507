import { describe, expect, it } from 'vitest';
import { DiskGuard } from './disk-guard.js';

const GB = 1e9;

describe('DiskGuard', () => {
  it('warns when space runs low, stops recording below the limit, and resumes only well above it', () => {
    const guard = new DiskGuard({ warnFreeBytes: 5 * GB, stopFreeBytes: 1 * GB });
    expect(guard.update(50 * GB)).toEqual({ freeBytes: 50 * GB, recording: true });
    expect(guard.update(4 * GB)).toEqual({
      freeBytes: 4 * GB,
      recording: true,
      warning: 'only 4.0 GB free for recordings',
    });
    const stopped = guard.update(0.5 * GB);
    expect(stopped.recording).toBe(false);
    expect(stopped.warning).toBe(
      'recording stopped: only 500 MB free (analysis goes on; recording resumes at 2.0 GB)',
    );
    expect(guard.update(1.5 * GB).recording).toBe(false); // no flapping at the limit
    expect(guard.update(2 * GB)).toMatchObject({
      recording: true,
      warning: 'only 2.0 GB free for recordings',
    });
    expect(() => new DiskGuard({ warnFreeBytes: Number.NaN, stopFreeBytes: 1 })).toThrow(RangeError);
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { withIdleTimeout } from './with-idle-timeout.js';
import { withTimeout } from './with-timeout.js';

describe('withIdleTimeout', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  /** Work that finishes after `steps` steps of `stepMs`, marking progress at each. */
  function steppedWork(steps: number, stepMs: number) {
    let progressAt = performance.now();
    let done = 0;
    const work = new Promise<string>((resolve) => {
      const step = () => {
        done++;
        progressAt = performance.now();
        if (done === steps) resolve('done');
        else setTimeout(step, stepMs);
      };
      setTimeout(step, stepMs);
    });
    return { work, lastProgress: () => progressAt, steps: () => done };
  }

  it('waits for slow work that keeps making progress, well past the idle limit in all', async () => {
    const slow = steppedWork(10, 4_000); // 40 s in all, 4 s between steps
    const result = withIdleTimeout(slow.work, 10_000, slow.lastProgress, () => new Error('hangs'));
    await vi.advanceTimersByTimeAsync(40_000);
    await expect(result).resolves.toBe('done');
    expect(slow.steps()).toBe(10);
  });

  it('gives up on work that stops making progress, the idle limit after its last step', async () => {
    const stuck = steppedWork(10, 4_000);
    let hung = false;
    const result = withIdleTimeout(new Promise<string>(() => {}), 10_000, stuck.lastProgress, () => {
      hung = true;
      return new Error('hangs');
    }).catch((err: Error) => err.message);
    // Progress until 40 s (steps at 4, 8 … 40 s), then none: the wait ends at 50 s, not before.
    await vi.advanceTimersByTimeAsync(49_999);
    expect(hung).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await result).toBe('hangs');
  });

  it('counts the idle time from the call when the last progress was long before it', async () => {
    const result = withIdleTimeout(
      new Promise<void>(() => {}),
      10_000,
      () => -1_000_000,
      () => new Error('hangs'),
    );
    const settled = vi.fn();
    result.catch(settled);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(settled).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toHaveBeenCalledOnce();
  });

  it('leaves no timer behind once the work settles', async () => {
    const result = withIdleTimeout(
      Promise.resolve(7),
      10_000,
      () => performance.now(),
      () => new Error('hangs'),
    );
    await expect(result).resolves.toBe(7);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('as withTimeout (no progress ever), rejects at its limit however the work goes', async () => {
    const slow = steppedWork(10, 4_000);
    const settled = vi.fn();
    withTimeout(slow.work, 10_000, () => new Error('too slow')).catch((err: Error) => settled(err.message));
    await vi.advanceTimersByTimeAsync(9_999);
    expect(settled).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toHaveBeenCalledWith('too slow');
    expect(slow.steps()).toBe(2);
  });
});

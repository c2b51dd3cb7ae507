import { describe, expect, it } from 'vitest';
import { BusyError, ConcurrencyLimit } from './concurrency-limit.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('ConcurrencyLimit', () => {
  it('runs at most max jobs at once, the rest in order, and refuses beyond the waiting room', async () => {
    const limit = new ConcurrencyLimit(2, 3);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const job = (n: number) => async () => {
      running++;
      most = Math.max(most, running);
      await tick();
      order.push(n);
      running--;
      return n;
    };
    const accepted = [1, 2, 3, 4, 5].map((n) => limit.run(job(n)));
    expect(limit.load).toEqual({ running: 2, waiting: 3 });
    await expect(limit.run(job(6))).rejects.toThrow(BusyError);
    expect(await Promise.all(accepted)).toEqual([1, 2, 3, 4, 5]);
    expect(most).toBe(2);
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(limit.load).toEqual({ running: 0, waiting: 0 });
  });

  it('frees the slot when a job fails', async () => {
    const limit = new ConcurrencyLimit(1, 1);
    await expect(limit.run(() => Promise.reject(new Error('bad image')))).rejects.toThrow('bad image');
    expect(await limit.run(async () => 'next')).toBe('next');
    expect(limit.load).toEqual({ running: 0, waiting: 0 });
  });
});

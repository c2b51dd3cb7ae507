import { describe, expect, it } from 'vitest';
import { BoundedBatches } from './bounded-batches.js';

/** A batch's work that ends only when the test lets it. */
function heldWork() {
  const started: number[][] = [];
  const release: (() => void)[] = [];
  const work = (items: number[]) => {
    started.push(items);
    return new Promise<void>((resolve) => release.push(resolve));
  };
  return { started, release, work };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('BoundedBatches', () => {
  it('hands over each full batch at once, in order, and the last partial one on finish', async () => {
    const done: number[][] = [];
    const batches = new BoundedBatches<number>(3, 2, async (items) => {
      done.push(items);
    });
    for (let i = 0; i < 7; i++) await batches.push(i);
    expect(done).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    await batches.finish();
    expect(done).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });

  it('holds the producer back while `depth` batches are at work, and lets it go when the oldest ends', async () => {
    const { started, release, work } = heldWork();
    const batches = new BoundedBatches<number>(2, 2, work);
    for (let i = 0; i < 4; i++) await batches.push(i); // two batches at work, neither waited for
    expect(started).toEqual([
      [0, 1],
      [2, 3],
    ]);
    await batches.push(4);
    let pushed = false;
    const fifth = batches.push(5).then(() => {
      pushed = true;
    });
    await tick();
    expect(pushed).toBe(false);
    expect(started).toHaveLength(2);
    release[0]!();
    await fifth;
    expect(started).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    const finished = batches.finish();
    release[1]!();
    release[2]!();
    await finished;
  });

  it('throws a failed batch from the push that waits for it, and settle waits for the rest', async () => {
    let running = 0;
    const batches = new BoundedBatches<number>(1, 2, async (items) => {
      running++;
      await tick();
      running--;
      if (items[0] === 0) throw new Error('engine thread died');
    });
    await batches.push(0);
    await batches.push(1);
    await expect(batches.push(2)).rejects.toThrow('engine thread died');
    await batches.settle();
    expect(running).toBe(0);
    await batches.finish(); // nothing left
  });

  it('refuses a batch size or depth below one', () => {
    expect(() => new BoundedBatches<number>(0, 1, async () => {})).toThrow(RangeError);
    expect(() => new BoundedBatches<number>(1, 0, async () => {})).toThrow(RangeError);
  });
});

import { describe, expect, it } from 'vitest';
import { TensorStorage } from './tensor-storage.js';

describe('tensor storage reused between runs', () => {
  it('lends an array given back again for the same length, and never one that is out', () => {
    const storage = new TensorStorage();
    const a = storage.take(12);
    expect(a).toHaveLength(12);
    // While `a` is out, a second run gets an array of its own.
    const b = storage.take(12);
    expect(b).not.toBe(a);
    storage.give(a);
    storage.give(b);
    const again = [storage.take(12), storage.take(12)];
    expect(again).toContain(a);
    expect(again).toContain(b);
    // Another length is another array.
    expect(storage.take(6)).toHaveLength(6);
    expect(storage.take(12)).not.toBe(a);
  });

  it('keeps no more than it is allowed between runs', () => {
    const storage = new TensorStorage(16);
    const a = storage.take(10);
    const b = storage.take(10);
    storage.give(a);
    storage.give(b); // over the 16 floats kept: dropped
    expect(storage.take(10)).toBe(a);
    expect(storage.take(10)).not.toBe(b);
  });
});

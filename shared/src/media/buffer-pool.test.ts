import { describe, expect, it } from 'vitest';
import { BufferPool } from './buffer-pool.js';

describe('BufferPool', () => {
  it('hands out the memory given back, up to the number it keeps', () => {
    const pool = new BufferPool(16, 1);
    const a = pool.take();
    const b = pool.take();
    expect(a).toHaveLength(16);
    expect(a.buffer).not.toBe(b.buffer);
    a[0] = 7;
    pool.give(a);
    pool.give(b); // beyond what it keeps: left to the collector
    expect(pool.size).toBe(1);
    const again = pool.take();
    expect(again.buffer).toBe(a.buffer);
    expect(again[0]).toBe(7);
    expect(pool.size).toBe(0);
  });

  it('takes back the same memory as a plain Uint8Array (a buffer back from a worker thread)', () => {
    const pool = new BufferPool(8, 4);
    const a = pool.take();
    pool.give(new Uint8Array(a.buffer, 0, 8));
    const again = pool.take();
    expect(Buffer.isBuffer(again)).toBe(true);
    expect(again.buffer).toBe(a.buffer);
  });

  it('ignores memory of another size and views into larger buffers', () => {
    const pool = new BufferPool(8, 4);
    pool.give(Buffer.alloc(9));
    pool.give(new Uint8Array(new ArrayBuffer(16), 8, 8));
    pool.give(new Uint8Array(new ArrayBuffer(16), 0, 8));
    expect(pool.size).toBe(0);
  });

  it('refuses sizes that make no sense', () => {
    expect(() => new BufferPool(0, 1)).toThrow(RangeError);
    expect(() => new BufferPool(8, -1)).toThrow(RangeError);
  });
});

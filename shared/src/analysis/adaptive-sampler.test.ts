import { describe, expect, it } from 'vitest';
import { type RgbFrame, rgbStride } from '../media/frame.js';
import { AdaptiveSampler } from './adaptive-sampler.js';

const W = 160; // frame size, px
const H = 120;

/** Diagonal stripes shifted by `shift` px, plus a little deterministic sensor noise (±2 levels). */
function scene(shift: number, index: number, fps: number): RgbFrame {
  const stride = rgbStride(W);
  const data = new Uint8Array(stride * H);
  let seed = index * 7919 + 1;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const noise = (seed % 5) - 2;
      const v = ((x + y + shift) >> 4) % 2 ? 200 : 60;
      data.set([v + noise, v / 2 + noise, v / 3 + noise], y * stride + x * 3);
    }
  }
  return { data, width: W, height: H, stride, index, ptsMs: Math.round((index * 1000) / fps) };
}

/** Offers `seconds` of frames at `fps`; `moving(i)` says whether frame i moved; returns the frames taken. */
function run(
  sampler: AdaptiveSampler,
  fps: number,
  seconds: number,
  moving: (i: number) => boolean,
  from = 0,
) {
  const taken: number[] = [];
  let shift = 0;
  for (let i = from; i < from + fps * seconds; i++) {
    if (moving(i)) shift += 9;
    if (sampler.offer(scene(shift, i, fps))) taken.push(i);
  }
  return taken;
}

describe('AdaptiveSampler', () => {
  it('analyses about minFps of a still view', () => {
    const sampler = new AdaptiveSampler({ minFps: 1, maxFps: 15 });
    const taken = run(sampler, 15, 10, () => false);
    expect(taken.length).toBeGreaterThanOrEqual(10);
    expect(taken.length).toBeLessThanOrEqual(12); // the first frames, before motion is known
    expect(sampler.targetFps).toBe(1);
    expect(sampler.motion).toBeLessThan(0.015);
  });

  it('analyses every frame while the view moves', () => {
    const sampler = new AdaptiveSampler({ minFps: 1, maxFps: 15 });
    expect(run(sampler, 15, 10, () => true)).toHaveLength(150);
    expect(sampler.targetFps).toBe(15);
    expect(sampler.motion).toBeGreaterThan(0.05);
  });

  it('follows a move within about half its window, both ways', () => {
    const sampler = new AdaptiveSampler({ minFps: 1, maxFps: 15, windowMs: 1000 });
    const still = run(sampler, 15, 4, () => false);
    const moving = run(sampler, 15, 4, () => true, 60);
    const stillAgain = run(sampler, 15, 4, () => false, 120);
    expect(still.filter((i) => i >= 15)).toHaveLength(3); // seconds 1..3: one a second
    expect(moving.filter((i) => i >= 60 + 15)).toHaveLength(45); // every frame once the window has moved
    expect(moving[0]! - 60).toBeLessThanOrEqual(15); // rate rises within the window
    expect(stillAgain.filter((i) => i >= 120 + 15)).toHaveLength(3);
  });

  it('is not flipped by one jittery frame', () => {
    const sampler = new AdaptiveSampler({ minFps: 1, maxFps: 15 });
    run(sampler, 15, 3, () => false);
    const taken = run(sampler, 15, 3, (i) => i === 50, 45);
    expect(sampler.targetFps).toBe(1);
    expect(taken.length).toBeLessThanOrEqual(4);
  });

  it('meets an in-between rate on average', () => {
    // The still scene's noise (~0.006) lies half way between these thresholds.
    const sampler = new AdaptiveSampler({ minFps: 1, maxFps: 15, stillMotion: 0, movingMotion: 0.0125 });
    const taken = run(sampler, 15, 20, () => false);
    const rate = sampler.targetFps;
    expect(rate).toBeGreaterThan(6);
    expect(rate).toBeLessThan(10);
    // The rate wanders a little with the noise, so the count is compared within 10%.
    expect(Math.abs(taken.filter((i) => i >= 30).length - rate * 18)).toBeLessThanOrEqual(rate * 1.8);
  });

  it('works in stream time: frames offered at 30 fps are taken at maxFps at most', () => {
    const sampler = new AdaptiveSampler({ minFps: 1, maxFps: 10 });
    expect(run(sampler, 30, 10, () => true).length).toBeCloseTo(100, -1);
  });

  it('takes every frame at maxFps despite rounded or jittery stream times', () => {
    const sampler = new AdaptiveSampler({ minFps: 1, maxFps: 3 });
    const frames = Array.from({ length: 300 }, (_, i) => ({
      ...scene(i * 9, i, 3),
      ptsMs: Math.round((i * 1000) / 3 + ((i * 37) % 7) - 3), // ±3 ms of jitter
    }));
    expect(frames.filter((f) => sampler.offer(f))).toHaveLength(300);
  });

  it('analyses every frame when minFps equals maxFps, still or not', () => {
    const sampler = new AdaptiveSampler({ minFps: 3, maxFps: 3 });
    expect(run(sampler, 3, 10, () => false)).toHaveLength(30);
    expect(sampler.targetFps).toBe(3);
  });

  it('starts over, taking the frame, when stream time goes back or the size changes', () => {
    const sampler = new AdaptiveSampler({ minFps: 1, maxFps: 15 });
    run(sampler, 15, 3, () => false);
    expect(sampler.offer(scene(0, 0, 15))).toBe(true);
    expect(sampler.offer(scene(0, 1, 15))).toBe(false);
    const small = { ...scene(0, 2, 15), width: 80, height: 60 };
    expect(sampler.offer(small)).toBe(true);
  });

  it('refuses options that make no sense, saying which', () => {
    const bad = [
      [{ minFps: 0, maxFps: 3 }, /minFps must be a number > 0, got 0/],
      [{ minFps: 3, maxFps: 1 }, /maxFps must be a number >= minFps \(3\), got 1/],
      [{ minFps: 1, maxFps: Number.NaN }, /maxFps/],
      [{ minFps: 1, maxFps: 3, stillMotion: 0.2, movingMotion: 0.1 }, /stillMotion < movingMotion/],
      [{ minFps: 1, maxFps: 3, windowMs: 0 }, /windowMs must be > 0/],
      [{ minFps: 1, maxFps: 3, gridStep: 2.5 }, /gridStep/],
    ] as const;
    for (const [options, message] of bad) {
      expect(() => new AdaptiveSampler(options)).toThrow(RangeError);
      expect(() => new AdaptiveSampler(options)).toThrow(message);
    }
  });
});

import type { FrameAnalysis } from '@gic/shared/messages/events.js';
import { describe, expect, it } from 'vitest';
import { KeyframeCandidates } from './keyframe-candidates.js';
import { chooseKeyframes } from './keyframe-choice.js';

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const frame = (ptsMs: number, next: () => number): FrameAnalysis =>
  ({
    frameIndex: ptsMs / 500,
    ptsMs,
    quality: {
      // Few distinct values, so that ties happen.
      sharpness: Math.floor(next() * 4) * 10,
      brightness: 0.5,
      blurred: next() < 0.3,
      exposure: next() < 0.2 ? 'dark' : 'ok',
      inBody: next() < 0.8,
    },
    privacyRegions: [],
    detections:
      next() < 0.05
        ? [{ label: 'polyp', score: next(), box: { x: 0, y: 0, w: 0.1, h: 0.1 }, modelId: 'm' }]
        : [],
  }) as unknown as FrameAnalysis;

describe('key frame candidates', () => {
  it('keeps every frame chooseKeyframes picks, whatever order the frames are analysed in, and few others', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const next = random(seed);
      const frames = Array.from({ length: 240 }, (_, i) => frame(i * 500, next));
      // Batches finish about in order: shuffle within windows of 8 frames.
      const order = frames.map((f, i) => ({ f, at: i + next() * 8 })).sort((a, b) => a.at - b.at);
      const candidates = new KeyframeCandidates(10_000);
      const kept = new Set(order.filter(({ f }) => candidates.offer(f)).map(({ f }) => f.ptsMs));
      for (const k of chooseKeyframes(frames, 10_000)) expect(kept.has(k.tMs), `seed ${seed}`).toBe(true);
      // 12 stretches of 20 frames: a handful of bests each, and the frames with a detection.
      const detections = frames.filter((f) => f.detections.length > 0).length;
      expect(kept.size, `seed ${seed}`).toBeLessThan(12 * 8 + detections);
    }
  });

  it('keeps nothing of a stretch spent outside the body, and refuses a stretch of no length', () => {
    const next = random(7);
    const out = { ...frame(0, next), quality: { ...frame(0, next).quality, inBody: false }, detections: [] };
    expect(new KeyframeCandidates(1000).offer(out)).toBe(false);
    expect(() => new KeyframeCandidates(0)).toThrow(RangeError);
  });
});

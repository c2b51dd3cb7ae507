import type { FrameAnalysis } from '@gic/shared/messages/events.js';
import { describe, expect, it } from 'vitest';
import { chooseKeyframes } from './keyframe-choice.js';

const frame = (ptsMs: number, inBody: boolean, sharpness: number, finding = false): FrameAnalysis =>
  ({
    frameIndex: ptsMs,
    ptsMs,
    quality: { sharpness, brightness: 0.5, blurred: sharpness < 5, exposure: 'ok', inBody },
    privacyRegions: [],
    detections: finding
      ? [{ label: 'polyp', score: 0.9, box: { x: 0, y: 0, w: 0.1, h: 0.1 }, modelId: 'm' }]
      : [],
  }) as unknown as FrameAnalysis;

describe('key frame choice', () => {
  it('takes each finding and the sharpest in-body view of every stretch, none from out-of-body stretches', () => {
    const frames = [
      frame(0, true, 10),
      frame(1000, true, 30),
      frame(2000, true, 3),
      frame(10_000, false, 50),
      frame(11_000, false, 60),
      frame(20_000, true, 20, true),
      frame(21_000, true, 40),
    ];
    expect(chooseKeyframes(frames, 10_000)).toEqual([
      { tMs: 1000, reason: 'interval' },
      { tMs: 20_000, reason: 'finding' },
      { tMs: 21_000, reason: 'interval' },
    ]);
  });
});

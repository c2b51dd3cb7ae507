import type { FrameAnalysis } from '@gic/shared/messages/events.js';
import { describe, expect, it } from 'vitest';
import { buildSummary, groupFindings } from './summary-builder.js';

const box = { x: 0.1, y: 0.1, w: 0.2, h: 0.2 };
const frame = (ptsMs: number, inBody: boolean, score?: number): FrameAnalysis =>
  ({
    frameIndex: ptsMs / 1000,
    ptsMs,
    width: 64,
    height: 36,
    quality: { sharpness: 10, brightness: 0.5, blurred: false, exposure: 'ok', inBody },
    privacyRegions: [],
    detections: score === undefined ? [] : [{ label: 'polyp', score, box, modelId: 'm' }],
    models: [],
    modelsOff: [],
    latencyMs: 1,
  }) as FrameAnalysis;

describe('summary', () => {
  it('groups detections into one finding per stretch, at its best frame', () => {
    const f = groupFindings([
      frame(0, true, 0.5),
      frame(1000, true, 0.9),
      frame(2000, true, 0.6),
      frame(9000, true, 0.7),
    ]);
    expect(f.map((x) => [x.tMs, x.score])).toEqual([
      [1000, 0.9],
      [9000, 0.7],
    ]);
  });

  it('splits in-body time at the cecum into insertion and withdrawal, and says the notes come from data', () => {
    const frames = [
      frame(0, false),
      frame(10_000, true),
      frame(20_000, true),
      frame(30_000, true, 0.8),
      frame(40_000, false),
    ];
    const s = buildSummary(frames, 45_000, 20_000);
    expect(s.phases).toEqual([
      { name: 'out-of-body', startMs: 0, endMs: 10_000 },
      { name: 'insertion', startMs: 10_000, endMs: 20_000 },
      { name: 'withdrawal', startMs: 20_000, endMs: 40_000 },
      { name: 'out-of-body', startMs: 40_000, endMs: 45_000 },
    ]);
    expect(s.withdrawalMs).toBe(20_000);
    expect(s.findings).toHaveLength(1);
    expect(s.quality.map((q) => q.score)).toEqual([0, 1, 1, 1, 0]);
    expect(s.notes.source).toBe('data');
    expect(s.notes.text).toMatch(/No vision-language model/);
    expect(s.notes.text).toMatch(/polyp at 30\.0 s/);
    expect(buildSummary(frames, 45_000, null).withdrawalMs).toBeNull();
  });
});

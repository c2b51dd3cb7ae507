import { insidePolygon } from '@gic/shared/analysis/privacy/index.js';
import type { FrameAnalysis } from '@gic/shared/messages/events.js';
import { describe, expect, it } from 'vitest';
import { MaskTimeline } from './mask-timeline.js';

const square = [
  { x: 0.2, y: 0.1 },
  { x: 0.8, y: 0.1 },
  { x: 0.8, y: 0.9 },
  { x: 0.2, y: 0.9 },
];
const frame = (
  ptsMs: number,
  inBody: boolean,
  regions: FrameAnalysis['privacyRegions'] = [],
): Pick<FrameAnalysis, 'ptsMs' | 'quality' | 'fieldOfView' | 'privacyRegions'> => ({
  ptsMs,
  quality: { inBody } as FrameAnalysis['quality'],
  fieldOfView: { polygon: square, bordered: true },
  privacyRegions: regions,
});

describe('mask timeline', () => {
  it('masks the whole picture next to a frame outside the body, and far from any analysed frame', () => {
    const t = new MaskTimeline([frame(0, true), frame(1000, false), frame(2000, true), frame(10_000, true)]);
    expect(t.maskAt(200).full).toBe(true); // between in-body and out-of-body: fail closed
    expect(t.maskAt(1500).full).toBe(true);
    expect(t.maskAt(2100).full).toBe(false);
    expect(t.maskAt(6000).full).toBe(true); // 4 s from any analysis
    // The picture's outline from the shared tracker: the middle is inside it, the corner outside.
    const outline = t.maskAt(2100).outside!;
    expect(insidePolygon(outline, { x: 0.5, y: 0.5 })).toBe(true);
    expect(insidePolygon(outline, { x: 0.05, y: 0.05 })).toBe(false);
  });

  it('holds text 10 s and faces 3 s either side of where they were found, and skips what the recogniser refused', () => {
    const text = { x: 0.1, y: 0.1, w: 0.2, h: 0.05, kind: 'text' as const };
    const refused = { x: 0.5, y: 0.5, w: 0.1, h: 0.05, kind: 'text' as const, recognised: false };
    const face = { x: 0.6, y: 0.6, w: 0.1, h: 0.1, kind: 'face' as const };
    const frames = Array.from({ length: 31 }, (_, s) =>
      frame(s * 1000, true, s === 15 ? [text, refused, face] : []),
    );
    const t = new MaskTimeline(frames);
    expect(t.maskAt(15_000).boxes).toEqual([text, face]);
    expect(t.maskAt(6000).boxes).toEqual([text]);
    expect(t.maskAt(17_500).boxes).toEqual([text, face]);
    expect(t.maskAt(4000).boxes).toEqual([]);
    expect(t.maskAt(26_000).boxes).toEqual([]);
  });

  it('masks everything while no picture was ever seen (mask-outside fails closed)', () => {
    const t = new MaskTimeline([{ ...frame(0, true), fieldOfView: undefined }]);
    expect(t.maskAt(0).full).toBe(true);
  });
});

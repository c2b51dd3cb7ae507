import { describe, expect, it } from 'vitest';
import { STICKY_TEXT_MS, StickyRegions } from './sticky-regions.js';

describe('StickyRegions', () => {
  it('keeps a detected region, grown and snapped, until it goes undetected for STICKY_TEXT_MS', () => {
    const regions = new StickyRegions();
    expect(regions.update(0, [{ x: 0.1, y: 0.05, w: 0.3, h: 0.04 }])).toBe(true);
    const [box] = regions.boxes;
    expect(box!.x).toBeLessThanOrEqual(0.09);
    expect(box!.x + box!.w).toBeGreaterThanOrEqual(0.41 - 1e-9);
    // Jitter inside the kept box changes nothing; a missed detection keeps it.
    expect(regions.update(500, [{ x: 0.101, y: 0.051, w: 0.299, h: 0.039 }])).toBe(false);
    expect(regions.update(1000, [])).toBe(false);
    expect(regions.boxes).toHaveLength(1);
    expect(regions.update(500 + STICKY_TEXT_MS + 1, [])).toBe(true);
    expect(regions.boxes).toEqual([]);
  });

  it('merges overlapping regions and keeps apart ones apart, never more than a bounded number', () => {
    const regions = new StickyRegions();
    regions.update(0, [
      { x: 0.1, y: 0.1, w: 0.2, h: 0.05 },
      { x: 0.25, y: 0.1, w: 0.2, h: 0.05 }, // overlaps the first
      { x: 0.1, y: 0.9, w: 0.2, h: 0.05 },
    ]);
    expect(regions.boxes).toHaveLength(2);
    const many = Array.from({ length: 60 }, (_, i) => ({
      x: (i % 10) * 0.1,
      y: Math.floor(i / 10) * 0.16,
      w: 0.02,
      h: 0.02,
    }));
    regions.update(100, many);
    expect(regions.boxes.length).toBeLessThanOrEqual(24);
    // Whatever was merged, every detected region is still covered.
    for (const b of many)
      expect(
        regions.boxes.some(
          (r) => r.x <= b.x && r.y <= b.y && r.x + r.w >= b.x + b.w && r.y + r.h >= b.y + b.h,
        ),
      ).toBe(true);
  });
});

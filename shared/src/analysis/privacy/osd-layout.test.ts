import { describe, expect, it } from 'vitest';
import { OsdLayoutLearner } from './osd-layout.js';

const banner = { x: 0.02, y: 0.02, w: 0.4, h: 0.05 };
const covers = (b: { x: number; y: number; w: number; h: number }, r: typeof banner) =>
  b.x <= r.x && b.y <= r.y && b.x + b.w >= r.x + r.w && b.y + b.h >= r.y + r.h;

describe('OsdLayoutLearner', () => {
  it('learns text that keeps showing at the same place, blinking included, and keeps it once learned', () => {
    const learner = new OsdLayoutLearner();
    let grew = false;
    for (let i = 0; i < 16; i++) {
      // Shown two frames in three: a blinking banner.
      grew = learner.observe(i % 3 === 2 ? [] : [banner]) || grew;
    }
    expect(grew).toBe(true);
    expect(learner.boxes).toHaveLength(1);
    expect(learner.boxes[0]!.origin).toBe('learned');
    expect(covers(learner.boxes[0]!, banner)).toBe(true);
    // Gone from the video: still in the layout.
    for (let i = 0; i < 40; i++) learner.observe([]);
    expect(learner.boxes).toHaveLength(1);
  });

  it('does not learn text seen a few times, or text moving about', () => {
    const learner = new OsdLayoutLearner();
    for (let i = 0; i < 5; i++) learner.observe([banner]);
    for (let i = 0; i < 30; i++)
      learner.observe([{ x: (i * 0.03) % 0.9, y: 0.5 + ((i * 0.07) % 0.4), w: 0.05, h: 0.03 }]);
    expect(learner.boxes).toEqual([]);
  });

  it('learns a scrolling ticker as its band, and merges what it learns with overlapping regions', () => {
    const learner = new OsdLayoutLearner();
    for (let i = 0; i < 30; i++) {
      const x = (i * 0.04) % 0.6;
      learner.observe([{ x, y: 0.9, w: 0.4, h: 0.04 }]);
    }
    expect(learner.boxes.length).toBeGreaterThanOrEqual(1);
    const band = learner.boxes.find((b) => b.y < 0.9 && b.y + b.h > 0.94)!;
    expect(band.w).toBeGreaterThan(0.5);
  });

  it('keeps a person’s regions, and starts learning over after an edit', () => {
    const manual = { x: 0.8, y: 0.8, w: 0.1, h: 0.1, origin: 'manual' as const };
    const learner = new OsdLayoutLearner([manual]);
    for (let i = 0; i < 5; i++) learner.observe([banner]);
    learner.replace([manual]);
    for (let i = 0; i < 5; i++) learner.observe([banner]);
    expect(learner.boxes).toEqual([manual]);
  });
});

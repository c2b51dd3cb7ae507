import { describe, expect, it } from 'vitest';
import { RECORDER_DELAY_MS, RecorderMask } from './recorder-mask.js';

const osd = [{ x: 0, y: 0, w: 1, h: 0.1 }];
const full = "<rect x='0' y='0' width='1000' height='1000' fill='black'/>";

describe('RecorderMask', () => {
  it('masks the whole frame until in-body has held longer than the recorder delay', () => {
    const mask = new RecorderMask(osd);
    expect(mask.svg).toContain(full);
    expect(mask.update(0, true)).toBeUndefined();
    expect(mask.update(RECORDER_DELAY_MS, true)).toBeUndefined();
    const svg = mask.update(RECORDER_DELAY_MS + 600, true);
    expect(svg).toBeDefined();
    expect(svg).not.toContain(full);
    expect(svg).toContain("height='100'"); // the on-screen display stays masked
  });

  it('masks at once when the scope leaves the body, and an in-body flicker does not unmask', () => {
    const mask = new RecorderMask(osd, false);
    expect(mask.update(0, true)).toBeUndefined();
    expect(mask.update(1000, false)).toContain(full);
    expect(mask.update(1300, true)).toBeUndefined();
    expect(mask.update(1600, false)).toBeUndefined();
    expect(mask.update(2000, true)).toBeUndefined();
    expect(mask.fullFrame).toBe(true);
    expect(mask.update(2000 + RECORDER_DELAY_MS + 500, true)).not.toContain(full);
  });

  it('burns out text the detector finds, beyond the configured boxes, while it keeps being found', () => {
    const mask = new RecorderMask([], false);
    const svg = mask.update(0, true, [{ x: 0.5, y: 0.5, w: 0.2, h: 0.05 }]);
    expect(svg).toMatch(/<rect x='490' y='490' width='2\d\d' height='[67]\d' fill='black'\/>/);
    expect(mask.update(400, true, [{ x: 0.5, y: 0.5, w: 0.2, h: 0.05 }])).toBeUndefined();
    // Outside the body the whole frame is masked, and the text box stays in the SVG beneath it.
    expect(mask.update(800, false, [])).toContain(full);
    expect(mask.svg).toContain("x='490'");
  });
});

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
});

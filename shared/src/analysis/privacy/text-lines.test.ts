import { describe, expect, it } from 'vitest';
import { growTextLine, joinTextLines } from './text-lines.js';

const frame = { width: 1000, height: 1000 };
/** A box in pixels of the 1000x1000 frame. */
const px = (x: number, y: number, w: number, h: number) => ({
  x: x / 1000,
  y: y / 1000,
  w: w / 1000,
  h: h / 1000,
});
const round = (b: { x: number; y: number; w: number; h: number }) =>
  [b.x, b.y, b.w, b.h].map((v) => Math.round(v * 1000));

describe('joinTextLines', () => {
  it('joins the words of one line, keeps the lines of a wrapped banner apart', () => {
    const lines = joinTextLines(
      [
        px(100, 100, 120, 30), // "KOWALCZYK,"
        px(240, 102, 150, 28), // "MAGDALENA": a word space away
        px(100, 140, 60, 30), // second line: "DOB"
        px(175, 141, 200, 29),
        px(700, 100, 80, 30), // far along the first line: another field
      ],
      frame,
    );
    expect(lines.map(round)).toEqual([
      [100, 100, 290, 30],
      [100, 140, 275, 30],
      [700, 100, 80, 30],
    ]);
  });

  it('does not join a small caption to a large banner at the same height', () => {
    expect(joinTextLines([px(100, 100, 200, 40), px(310, 110, 50, 12)], frame)).toHaveLength(2);
  });
});

describe('growTextLine', () => {
  it('grows past the full glyph height and more than a character beyond each end, clipped to the frame', () => {
    expect(round(growTextLine(px(100, 100, 290, 30), frame))).toEqual([73, 91, 344, 48]);
    // Small print still gets a few pixels each way.
    expect(round(growTextLine(px(500, 500, 40, 4), frame))).toEqual([496, 496, 48, 12]);
    expect(round(growTextLine(px(0, 0, 100, 30), frame))).toEqual([0, 0, 127, 39]);
  });
});

import { describe, expect, it } from 'vitest';
import { type RgbFrame, rgbStride } from '../media/frame.js';
import { burnOutRegions } from './privacy-burn.js';

function white(width: number, height: number): RgbFrame {
  const stride = rgbStride(width);
  return { data: new Uint8Array(stride * height).fill(255), width, height, stride, index: 3, ptsMs: 900 };
}

/** Rows of the frame as strings, '#' for a black pixel and '.' for any other. */
function picture(f: RgbFrame): string[] {
  const rows: string[] = [];
  for (let y = 0; y < f.height; y++) {
    let row = '';
    for (let x = 0; x < f.width; x++) {
      const p = y * f.stride + x * 3;
      row += f.data[p] === 0 && f.data[p + 1] === 0 && f.data[p + 2] === 0 ? '#' : '.';
    }
    rows.push(row);
  }
  return rows;
}

describe('burnOutRegions', () => {
  it('paints a copy black over every pixel a box touches, leaving the frame as it was', () => {
    const frame = white(10, 4);
    // x 0.25..0.5 of 10 px touches columns 2..4; y 0.3..0.6 of 4 px touches rows 1..2.
    const burned = burnOutRegions(frame, [{ x: 0.25, y: 0.3, w: 0.25, h: 0.3 }], 0);
    expect(picture(burned)).toEqual(['..........', '..###.....', '..###.....', '..........']);
    expect(picture(frame)).toEqual(Array(4).fill('..........'));
    expect(burned).toMatchObject({ width: 10, height: 4, stride: frame.stride, index: 3, ptsMs: 900 });
  });

  it('grows each box by the margin, clips it to the frame, and keeps row padding untouched', () => {
    const frame = white(10, 4); // 30 bytes of pixels a row, stride 32
    const burned = burnOutRegions(
      frame,
      [
        { x: 0.4, y: 0.25, w: 0.2, h: 0.5 }, // grown by half: x 0.3..0.7, y 0..1
        { x: 0.9, y: 0, w: 0.1, h: 0.25 }, // at the corner: x 0.85..1, y 0..0.375 once grown and clipped
      ],
      0.5,
    );
    expect(picture(burned)).toEqual(['...####.##', '...####.##', '...####...', '...####...']);
    expect([...burned.data.subarray(30, 32)]).toEqual([255, 255]);
  });

  it('burns nothing for no boxes or empty ones, and refuses a negative margin', () => {
    const frame = white(6, 2);
    expect(picture(burnOutRegions(frame, [], 0.2))).toEqual(['......', '......']);
    expect(picture(burnOutRegions(frame, [{ x: 0.5, y: 0.5, w: 0, h: 0.5 }], 0))).toEqual([
      '......',
      '......',
    ]);
    expect(() => burnOutRegions(frame, [], -0.1)).toThrow(/margin must be a share >= 0/);
  });
});

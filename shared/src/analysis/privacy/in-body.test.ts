import { describe, expect, it } from 'vitest';
import { type RgbFrame, rgbStride } from '../../media/frame.js';
import { colourGrid } from './colour-grid.js';
import { judgeInBodyColour } from './in-body.js';

function filled(rgb: (x: number, y: number) => [number, number, number]): RgbFrame {
  const width = 320;
  const height = 180;
  const stride = rgbStride(width);
  const data = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(rgb(x, y), y * stride + x * 3);
  return { data, width, height, stride, index: 0, ptsMs: 0 };
}

const judge = (frame: RgbFrame, bordered: boolean) => {
  const grid = colourGrid(frame);
  return judgeInBodyColour(grid, new Uint8Array(grid.cols * grid.rows).fill(1), bordered);
};

describe('judgeInBodyColour', () => {
  it('takes red mucosa (with glints and a dark lumen) for the inside of the body', () => {
    const mucosa = filled((x, y) =>
      Math.hypot(x - 160, y - 90) < 30 ? [10, 3, 3] : x % 40 < 2 ? [255, 255, 255] : [170, 62, 55],
    );
    expect(judge(mucosa, true).inBody).toBe(true);
    expect(judge(mucosa, false).inBody).toBe(true);
    // Pale, pinker mucosa passes within the tower's picture.
    expect(
      judge(
        filled(() => [215, 130, 125]),
        true,
      ).inBody,
    ).toBe(true);
  });

  it('takes warm rooms, skin and orange walls for the outside, bordered or not', () => {
    const skin = filled(() => [222, 168, 138]);
    const orangeWall = filled(() => [235, 155, 85]);
    const room = filled((x) => (x < 100 ? [160, 28, 38] : x < 250 ? [220, 190, 145] : [110, 120, 130]));
    for (const frame of [skin, orangeWall, room]) {
      expect(judge(frame, true).inBody).toBe(false);
      expect(judge(frame, false).inBody).toBe(false);
    }
  });

  it('asks more of a picture without a border: pale mucosa alone does not pass', () => {
    const pale = filled(() => [215, 140, 130]);
    expect(judge(pale, true).inBody).toBe(true);
    expect(judge(pale, false).inBody).toBe(false);
  });

  it('does not judge a dark frame to be inside', () => {
    expect(
      judge(
        filled(() => [15, 4, 4]),
        true,
      ).inBody,
    ).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { type RgbFrame, rgbStride } from '../../media/frame.js';
import { colourGrid } from './colour-grid.js';
import { estimateFieldOfView } from './field-of-view.js';
import { FieldOfViewTracker, FOV_SETTLE_MS } from './field-of-view-tracker.js';
import { insidePolygon, polygonArea } from './polygon.js';

const W = 640;
const H = 360;

/** A tower frame: a reddish picture (`inside` says where) in black, with white text blocks in the border. */
function tower(
  inside: (x: number, y: number) => boolean,
  text: [number, number, number, number][] = [],
): RgbFrame {
  const stride = rgbStride(W);
  const data = new Uint8Array(stride * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * stride + x * 3;
      // The lumen: a dark blob in the middle of the picture is still picture.
      const lumen = Math.hypot(x - 330, y - 180) < 50;
      if (inside(x, y)) data.set(lumen ? [12, 4, 4] : [160 + ((x * 7) % 40), 60, 50], p);
    }
  }
  for (const [x0, y0, w, h] of text) {
    for (let y = y0; y < y0 + h; y++)
      for (let x = x0; x < x0 + w; x += 2) data.set([255, 255, 255], y * stride + x * 3);
  }
  return { data, width: W, height: H, stride, index: 0, ptsMs: 0 };
}

const round = (x: number, y: number) => ((x - 330) / 200) ** 2 + ((y - 180) / 160) ** 2 <= 1;
const octagon = (x: number, y: number) => {
  const dx = Math.abs(x - 360);
  const dy = Math.abs(y - 180);
  return dx <= 220 && dy <= 165 && dx + dy <= 300;
};

describe('estimateFieldOfView', () => {
  it('finds a round picture in its black border, lumen included, text beside it left out', () => {
    // Text touching the picture's left edge, and a clock in the corner.
    const fov = estimateFieldOfView(
      colourGrid(
        tower(round, [
          [40, 170, 95, 12],
          [8, 330, 60, 10],
        ]),
      ),
    )!;
    expect(fov.bordered).toBe(true);
    expect(insidePolygon(fov.polygon, { x: 330 / W, y: 180 / H })).toBe(true); // the dark lumen
    expect(insidePolygon(fov.polygon, { x: 320 / W, y: 30 / H })).toBe(true);
    expect(insidePolygon(fov.polygon, { x: 60 / W, y: 176 / H })).toBe(false); // the text
    expect(insidePolygon(fov.polygon, { x: 20 / W, y: 335 / H })).toBe(false);
    // The outline lies just inside the picture: never over the border.
    const step = 4;
    for (let y = 0; y < H; y += step)
      for (let x = 0; x < W; x += step)
        if (insidePolygon(fov.polygon, { x: x / W, y: y / H })) expect(round(x, y)).toBe(true);
    // And it is most of it.
    expect(polygonArea(fov.polygon) * W * H).toBeGreaterThan(0.9 * Math.PI * 200 * 160);
  });

  it('outlines an octagon with a few points', () => {
    const fov = estimateFieldOfView(colourGrid(tower(octagon)))!;
    expect(fov.bordered).toBe(true);
    expect(fov.polygon.length).toBeLessThanOrEqual(12);
    expect(insidePolygon(fov.polygon, { x: 150 / W, y: 30 / H })).toBe(false); // a cut corner
    expect(insidePolygon(fov.polygon, { x: 150 / W, y: 180 / H })).toBe(true);
  });

  it('gives the whole frame for a picture that fills it, and nothing for a black frame', () => {
    const full = estimateFieldOfView(colourGrid(tower(() => true)))!;
    expect(full.bordered).toBe(false);
    expect(polygonArea(full.polygon)).toBe(1);
    expect(estimateFieldOfView(colourGrid(tower(() => false)))).toBeUndefined();
  });

  it('does not call a scene with a dark side a bordered picture', () => {
    // A room with a dark doorway on the left: the lit part is not centred on anything.
    const fov = estimateFieldOfView(colourGrid(tower((x) => x > 200)))!;
    expect(fov.bordered).toBe(false);
  });
});

describe('FieldOfViewTracker', () => {
  const seen = (inside: (x: number, y: number) => boolean) => estimateFieldOfView(colourGrid(tower(inside)))!;

  it('masks a shrinking picture at once and adopts a growing one only after it settles', () => {
    const tracker = new FieldOfViewTracker();
    expect(tracker.fieldOfView).toBeUndefined();
    const small = seen(round);
    const large = seen(octagon);
    tracker.update(0, small);
    const area = () => polygonArea(tracker.fieldOfView!.polygon);
    const smallArea = area();
    // The tower switches to a larger picture: kept to the old one until it has held FOV_SETTLE_MS.
    tracker.update(100, large);
    expect(area()).toBeCloseTo(smallArea, 2);
    tracker.update(100 + FOV_SETTLE_MS - 1, large);
    expect(area()).toBeCloseTo(smallArea, 2);
    tracker.update(100 + FOV_SETTLE_MS, large);
    expect(area()).toBeGreaterThan(smallArea * 1.05);
    // Back to the smaller one: cut down at once.
    tracker.update(3000, small);
    expect(area()).toBeLessThan(smallArea * 1.02);
    // A black frame changes nothing.
    expect(tracker.update(3100, undefined)).toBe(false);
  });
});

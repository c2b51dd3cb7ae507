import { describe, expect, it } from 'vitest';
import { boxShareInside, insidePolygon, polygonArea, polygonRowSpans, simplifyPolygon } from './polygon.js';

const square = [
  { x: 0.25, y: 0.25 },
  { x: 0.75, y: 0.25 },
  { x: 0.75, y: 0.75 },
  { x: 0.25, y: 0.75 },
];

describe('polygon geometry', () => {
  it('fills a polygon row by row at pixel centres', () => {
    const spans = polygonRowSpans(square, 8, 8);
    expect(spans).toEqual([undefined, undefined, [2, 6], [2, 6], [2, 6], [2, 6], undefined, undefined]);
    expect(polygonRowSpans([], 4, 2)).toEqual([undefined, undefined]);
  });

  it('measures area, tells inside from outside, and the share of a box inside', () => {
    expect(polygonArea(square)).toBeCloseTo(0.25);
    expect(insidePolygon(square, { x: 0.5, y: 0.5 })).toBe(true);
    expect(insidePolygon(square, { x: 0.1, y: 0.5 })).toBe(false);
    expect(boxShareInside(square, { x: 0.5, y: 0.5, w: 0.5, h: 0.2 })).toBeCloseTo(0.5);
    expect(boxShareInside(square, { x: 0.3, y: 0.3, w: 0.1, h: 0.1 })).toBe(1);
  });

  it('simplifies a finely sampled circle to a few points, never reaching outside it', () => {
    const circle = Array.from({ length: 400 }, (_, i) => {
      const a = (i / 400) * 2 * Math.PI;
      return { x: 0.5 + 0.4 * Math.cos(a), y: 0.5 + 0.4 * Math.sin(a) };
    });
    const simple = simplifyPolygon(circle, 0.002);
    expect(simple.length).toBeLessThan(60);
    expect(simple.length).toBeGreaterThan(12);
    for (const p of simple) expect(Math.hypot(p.x - 0.5, p.y - 0.5)).toBeLessThanOrEqual(0.4 + 1e-9);
    expect(polygonArea(simple)).toBeGreaterThan(0.99 * polygonArea(circle));
  });
});

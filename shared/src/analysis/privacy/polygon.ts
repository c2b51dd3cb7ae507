import type { Box } from '../../messages/events.js';

/** A point in normalised image coordinates (0..1 of width and height). */
export interface Point {
  x: number;
  y: number;
}

/**
 * The pixel spans [x0, x1) a polygon covers on each row of a `width` x `height` image, by even-odd
 * scanline fill at each row's centre: rows it misses have no span. The polygon is normalised.
 */
export function polygonRowSpans(
  polygon: readonly Point[],
  width: number,
  height: number,
): ([number, number] | undefined)[] {
  const rows: ([number, number] | undefined)[] = new Array(height).fill(undefined);
  if (polygon.length < 3) return rows;
  const pts = polygon.map((p) => ({ x: p.x * width, y: p.y * height }));
  for (let y = 0; y < height; y++) {
    const cy = y + 0.5;
    const xs: number[] = [];
    for (let i = 0; i < pts.length; i++) {
      const a = pts[i]!;
      const b = pts[(i + 1) % pts.length]!;
      if ((a.y <= cy && b.y > cy) || (b.y <= cy && a.y > cy)) {
        xs.push(a.x + ((cy - a.y) * (b.x - a.x)) / (b.y - a.y));
      }
    }
    if (xs.length < 2) continue;
    xs.sort((p, q) => p - q);
    // Row-convex outlines (what field-of-view.ts makes) cross a row twice: the outermost pair is the span.
    const x0 = Math.max(0, Math.ceil(xs[0]! - 0.5));
    const x1 = Math.min(width, Math.floor(xs[xs.length - 1]! + 0.5));
    if (x1 > x0) rows[y] = [x0, x1];
  }
  return rows;
}

/** Area of a simple polygon (shoelace), in normalised units (the whole image is 1). */
export function polygonArea(polygon: readonly Point[]): number {
  let sum = 0;
  for (let i = 0; i < polygon.length; i++) {
    const a = polygon[i]!;
    const b = polygon[(i + 1) % polygon.length]!;
    sum += a.x * b.y - b.x * a.y;
  }
  return Math.abs(sum) / 2;
}

/** Whether a point lies inside the polygon (even-odd rule). */
export function insidePolygon(polygon: readonly Point[], p: Point): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const a = polygon[i]!;
    const b = polygon[j]!;
    if (a.y > p.y !== b.y > p.y && p.x < a.x + ((p.y - a.y) * (b.x - a.x)) / (b.y - a.y)) inside = !inside;
  }
  return inside;
}

/** Share (0..1) of a box's area inside the polygon, on a `samples` x `samples` grid of the box. */
export function boxShareInside(polygon: readonly Point[], box: Box, samples = 8): number {
  let n = 0;
  for (let j = 0; j < samples; j++) {
    for (let i = 0; i < samples; i++) {
      const p = { x: box.x + ((i + 0.5) * box.w) / samples, y: box.y + ((j + 0.5) * box.h) / samples };
      if (insidePolygon(polygon, p)) n++;
    }
  }
  return n / (samples * samples);
}

/**
 * Douglas-Peucker simplification of a closed outline to within `tolerance` (normalised). For a convex
 * outline every chord lies inside it, so the simplified outline never reaches past the original.
 */
export function simplifyPolygon(polygon: readonly Point[], tolerance: number): Point[] {
  if (polygon.length <= 4) return [...polygon];
  // The ring closed on its first point, so that the last edge is simplified too.
  const ring = [...polygon, polygon[0]!];
  const keep = new Uint8Array(ring.length);
  const distance = (p: Point, a: Point, b: Point) => {
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const len = Math.hypot(dx, dy);
    if (len === 0) return Math.hypot(p.x - a.x, p.y - a.y);
    return Math.abs(dy * p.x - dx * p.y + b.x * a.y - b.y * a.x) / len;
  };
  const visit = (first: number, last: number) => {
    let worst = -1;
    let worstAt = -1;
    for (let i = first + 1; i < last; i++) {
      const d = distance(ring[i]!, ring[first]!, ring[last]!);
      if (d > worst) {
        worst = d;
        worstAt = i;
      }
    }
    if (worstAt >= 0 && worst > tolerance) {
      keep[worstAt] = 1;
      visit(first, worstAt);
      visit(worstAt, last);
    }
  };
  // Split the ring at its first point and the point farthest from it, then simplify each half.
  const from0 = (p: Point) => Math.hypot(p.x - ring[0]!.x, p.y - ring[0]!.y);
  let far = 1;
  for (let i = 1; i < polygon.length; i++) if (from0(ring[i]!) > from0(ring[far]!)) far = i;
  keep[0] = 1;
  keep[far] = 1;
  visit(0, far);
  visit(far, polygon.length);
  return polygon.filter((_, i) => keep[i]);
}

import type { Box } from '@gic/shared/messages/events.js';

/** How long a text region stays burned out after it was last detected (stream ms): OSD text is steady, detection is not. */
export const STICKY_TEXT_MS = 10_000;
/** Grown by this share of the frame on each side, for glyphs the detector's box cuts (0..1). */
const MARGIN = 0.01;
/** How long a face stays masked after it was last found (stream ms): past the recorder's delay and a sampling gap. */
export const STICKY_FACE_MS = 3000;
/** Most regions kept; beyond this the two nearest are merged, so the mask SVG stays small. */
const MAX_REGIONS = 24;

interface Sticky {
  box: Box;
  lastSeenMs: number;
}

const right = (b: Box) => b.x + b.w;
const bottom = (b: Box) => b.y + b.h;
const union = (a: Box, b: Box): Box => {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.max(right(a), right(b)) - x, h: Math.max(bottom(a), bottom(b)) - y };
};
const overlaps = (a: Box, b: Box) => a.x < right(b) && b.x < right(a) && a.y < bottom(b) && b.y < bottom(a);
const area = (b: Box) => b.w * b.h;
/** Rounded outward to 1/200 of the frame, so detection jitter does not change the mask every frame. */
const snap = (b: Box, margin: number): Box => {
  const q = 200;
  const x0 = Math.max(0, Math.floor((b.x - margin) * q) / q);
  const y0 = Math.max(0, Math.floor((b.y - margin) * q) / q);
  const x1 = Math.min(1, Math.ceil((right(b) + margin) * q) / q);
  const y1 = Math.min(1, Math.ceil((bottom(b) + margin) * q) / q);
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
};
const same = (a: Box, b: Box) => a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h;

/**
 * The burned-in text regions the recorder must mask, beyond the configured on-screen-display boxes:
 * every region the text detector finds is kept (grown a little, merged with what it overlaps) until
 * it has gone undetected for STICKY_TEXT_MS, so text the configuration did not foresee never reaches
 * a recording, and a detection missed now and then does not unmask it.
 */
export class StickyRegions {
  private regions: Sticky[] = [];

  constructor(
    /** How long a region stays after it was last found (stream ms). */
    private readonly holdMs = STICKY_TEXT_MS,
    /** Grown by this share of the frame on each side. */
    private readonly margin = MARGIN,
  ) {}

  get boxes(): Box[] {
    return this.regions.map((r) => r.box);
  }

  /** Feeds one frame's detected regions (stream time); returns true when the set of boxes changed. */
  update(ptsMs: number, detected: Box[]): boolean {
    const before = this.boxes;
    for (const found of detected) {
      let box = snap(found, this.margin);
      let seen = ptsMs;
      // Merge with every region it touches (transitively, as merging grows the box).
      for (let merged = true; merged; ) {
        merged = false;
        for (const r of this.regions) {
          if (!overlaps(r.box, box)) continue;
          box = union(r.box, box);
          seen = Math.max(seen, r.lastSeenMs);
          this.regions = this.regions.filter((x) => x !== r);
          merged = true;
          break;
        }
      }
      this.regions.push({ box, lastSeenMs: seen });
    }
    this.regions = this.regions.filter((r) => ptsMs - r.lastSeenMs <= this.holdMs);
    while (this.regions.length > MAX_REGIONS) this.mergeNearest();
    const after = this.boxes;
    return after.length !== before.length || after.some((b, i) => !same(b, before[i]!));
  }

  private mergeNearest(): void {
    let best: [number, number] = [0, 1];
    let bestGrowth = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.regions.length; i++) {
      for (let j = i + 1; j < this.regions.length; j++) {
        const a = this.regions[i]!.box;
        const b = this.regions[j]!.box;
        const growth = area(union(a, b)) - area(a) - area(b);
        if (growth < bestGrowth) {
          bestGrowth = growth;
          best = [i, j];
        }
      }
    }
    const [i, j] = best;
    const a = this.regions[i]!;
    const b = this.regions[j]!;
    this.regions = this.regions.filter((_, k) => k !== i && k !== j);
    this.regions.push({ box: union(a.box, b.box), lastSeenMs: Math.max(a.lastSeenMs, b.lastSeenMs) });
  }
}

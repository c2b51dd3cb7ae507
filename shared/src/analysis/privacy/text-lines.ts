import type { Box } from '../../messages/events.js';

/** How detector boxes become whole, masked lines of text. Shares are of the line's own height. */
export interface TextLineOptions {
  /** Boxes whose vertical overlap is at least this share of the smaller height sit on one line. */
  sameLineOverlap: number;
  /** ...and whose heights differ by at most this factor. */
  heightRatio: number;
  /** ...and whose horizontal gap is at most this share of the taller box's height (a word space or two). */
  maxGap: number;
  /** Grown on the left and right by this share of the line height: more than one character (about 0.6). */
  growX: number;
  /** Grown above and below by this share of the line height: ascenders, descenders, accents. */
  growY: number;
  /** Grown by at least this many pixels each way: scaling and JPEG smear a glyph's edge by a pixel or two. */
  minGrowPx: number;
}

export const defaultTextLineOptions: TextLineOptions = {
  sameLineOverlap: 0.5,
  heightRatio: 2,
  maxGap: 1.5,
  growX: 0.9,
  growY: 0.3,
  minGrowPx: 4,
};

interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

const height = (r: Rect) => r.y1 - r.y0;

function sameLine(a: Rect, b: Rect, o: TextLineOptions): boolean {
  const ha = height(a);
  const hb = height(b);
  if (Math.max(ha, hb) > o.heightRatio * Math.min(ha, hb)) return false;
  const overlap = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  if (overlap < o.sameLineOverlap * Math.min(ha, hb)) return false;
  const gap = Math.max(a.x0, b.x0) - Math.min(a.x1, b.x1);
  return gap <= o.maxGap * Math.max(ha, hb);
}

/**
 * Joins a frame's detector boxes (normalised) into whole text lines: boxes side by side at the same
 * height with at most a word space or two between them are one line. Each line is its boxes' union,
 * before any growing (what a recogniser should read).
 */
export function joinTextLines(
  boxes: readonly Box[],
  frame: { width: number; height: number },
  options: TextLineOptions = defaultTextLineOptions,
): Box[] {
  const { width: W, height: H } = frame;
  let lines: Rect[] = boxes
    .filter((b) => b.w > 0 && b.h > 0)
    .map((b) => ({ x0: b.x * W, y0: b.y * H, x1: (b.x + b.w) * W, y1: (b.y + b.h) * H }));
  // Merge until nothing changes: a merged line can reach a box neither part reached alone.
  for (let merged = true; merged; ) {
    merged = false;
    outer: for (let i = 0; i < lines.length; i++) {
      for (let j = i + 1; j < lines.length; j++) {
        const a = lines[i]!;
        const b = lines[j]!;
        if (!sameLine(a, b, options)) continue;
        lines[i] = {
          x0: Math.min(a.x0, b.x0),
          y0: Math.min(a.y0, b.y0),
          x1: Math.max(a.x1, b.x1),
          y1: Math.max(a.y1, b.y1),
        };
        lines = lines.filter((_, k) => k !== j);
        merged = true;
        break outer;
      }
    }
  }
  return lines.map((r) => ({ x: r.x0 / W, y: r.y0 / H, w: (r.x1 - r.x0) / W, h: (r.y1 - r.y0) / H }));
}

/**
 * A text line grown to the mask that covers it: past the glyphs' full height (accents, descenders) and
 * more than a character beyond each end, so that no letter at a line's end survives; clipped to the frame.
 */
export function growTextLine(
  line: Box,
  frame: { width: number; height: number },
  options: TextLineOptions = defaultTextLineOptions,
): Box {
  const { width: W, height: H } = frame;
  const h = line.h * H;
  const dx = Math.max(options.minGrowPx, options.growX * h) / W;
  const dy = Math.max(options.minGrowPx, options.growY * h) / H;
  const x0 = Math.max(0, line.x - dx);
  const y0 = Math.max(0, line.y - dy);
  const x1 = Math.min(1, line.x + line.w + dx);
  const y1 = Math.min(1, line.y + line.h + dy);
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

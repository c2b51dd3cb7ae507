import type { ColourGrid } from './colour-grid.js';
import { type Point, polygonArea, simplifyPolygon } from './polygon.js';

/**
 * The endoscope's picture in a frame: a round, octagonal or rectangular image inside the tower's dark
 * border. Everything outside it is the tower's own overlay.
 */
export interface FieldOfView {
  /** Outline, normalised, clockwise from the top left; it lies just inside the picture's edge. */
  polygon: Point[];
  /** The picture sits in a dark border (a tower's picture); false: it fills the frame (a camera, a room). */
  bordered: boolean;
}

/** A field of view found in one frame, with the grid cells it covers (for colour inside the picture). */
export interface FieldOfViewEstimate extends FieldOfView {
  /** One byte a grid cell: 1 inside the picture. */
  inside: Uint8Array;
}

/** Luma (0..255) at or below which a grid cell counts as the tower's black border. */
export const BORDER_LUMA = 28;
/**
 * Opening radius (cells): text and thin banners touching the picture are cut off it; the picture, far
 * wider, survives. 3 cells of a 160-cell grid is 36 px of a 1080p frame each way.
 */
const OPEN_RADIUS = 3;
/** Smallest picture worth the name (share of the frame): less is a dark frame, not a picture. */
const MIN_PICTURE = 0.04;
/** Outside the picture at least this share of cells is dark when it is a border (text takes the rest). */
const BORDER_DARK_SHARE = 0.85;
/** A bordered picture is centred on one vertical axis: row centres stray at most this share of the width. */
const MAX_CENTRE_SPREAD = 0.04;
/** ...in all but this share of its rows (text touching the picture pulls a few rows aside). */
const MAX_OFF_AXIS = 0.15;
/** A picture covering more than this share of the frame fills it. */
const FULL_FRAME_SHARE = 0.95;

/** The whole frame, as the outline of a picture that fills it. */
export const WHOLE_FRAME: Point[] = [
  { x: 0, y: 0 },
  { x: 1, y: 0 },
  { x: 1, y: 1 },
  { x: 0, y: 1 },
];

/**
 * Binary erosion (min) or dilation (max) of a 0/1 grid with a square of side 2r+1, separable,
 * off-grid counted as `edge`: a running count of the ones in the window, so the cost does not grow
 * with `r` (the window's cells counted one by one took most of the field of view's time).
 */
function morph(
  src: Uint8Array,
  cols: number,
  rows: number,
  r: number,
  max: boolean,
  edge: number,
): Uint8Array {
  const tmp = new Uint8Array(src.length);
  const out = new Uint8Array(src.length);
  slide(src, tmp, cols, rows, 1, cols, r, max, edge); // along each row
  slide(tmp, out, rows, cols, cols, 1, r, max, edge); // along each column
  return out;
}

/**
 * One pass of `morph`: each of `lines` lines of `length` cells (`along` apart; lines `across` apart),
 * a window of 2r+1 cells slid along it with a running count. A plain function with the edges tested
 * inline: as a closure a cell, it took most of the field of view's time in the hub's batch.
 */
function slide(
  from: Uint8Array,
  to: Uint8Array,
  length: number,
  lines: number,
  along: number,
  across: number,
  r: number,
  max: boolean,
  edge: number,
): void {
  const full = 2 * r + 1;
  for (let line = 0; line < lines; line++) {
    const base = line * across;
    // The window at cell 0: r cells off the grid before it, then cells 0..r.
    let ones = edge * r;
    for (let k = 0; k <= r; k++) ones += k < length ? from[base + k * along]! : edge;
    for (let i = 0; i < length; i++) {
      to[base + i * along] = max ? (ones > 0 ? 1 : 0) : ones === full ? 1 : 0;
      const add = i + r + 1;
      const sub = i - r;
      ones +=
        (add < length ? from[base + add * along]! : edge) - (sub >= 0 ? from[base + sub * along]! : edge);
    }
  }
}

/** The largest 4-connected set of cells that are 1, as a 0/1 array, and its size. */
function largestComponent(mask: Uint8Array, cols: number, rows: number): { cells: Uint8Array; size: number } {
  const label = new Int32Array(mask.length);
  const stack = new Int32Array(mask.length);
  let best = 0;
  let bestSize = 0;
  let next = 0;
  const visit = (n: number, top: number) => {
    if (!mask[n] || label[n]) return top;
    label[n] = next;
    stack[top] = n;
    return top + 1;
  };
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || label[start]) continue;
    next++;
    let top = 0;
    let size = 0;
    stack[top++] = start;
    label[start] = next;
    while (top > 0) {
      const i = stack[--top]!;
      size++;
      const x = i % cols;
      const y = (i - x) / cols;
      // The four neighbours, without an array a cell.
      if (x > 0) top = visit(i - 1, top);
      if (x < cols - 1) top = visit(i + 1, top);
      if (y > 0) top = visit(i - cols, top);
      if (y < rows - 1) top = visit(i + cols, top);
    }
    if (size > bestSize) {
      bestSize = size;
      best = next;
    }
  }
  const cells = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) if (label[i] === best && best > 0) cells[i] = 1;
  return { cells, size: bestSize };
}

/**
 * Finds the picture in a frame's colour grid: the largest bright region once text and thin banners
 * touching it are opened away, filled row by row (the dark lumen inside is picture too). Undefined when
 * no picture shows (a black frame). A picture that fills the frame, or whose surround is not a dark
 * border centred on it, is not `bordered` and is given as the whole frame.
 */
export function estimateFieldOfView(grid: ColourGrid): FieldOfViewEstimate | undefined {
  const { cols, rows, luma, lumaMin } = grid;
  const n = cols * rows;
  // Bright all through: the centre of such a cell lies inside the picture, so the outline drawn
  // through those centres never reaches over its edge.
  const bright = new Uint8Array(n);
  for (let i = 0; i < n; i++) bright[i] = lumaMin[i]! > BORDER_LUMA ? 1 : 0;
  const opened = morph(morph(bright, cols, rows, OPEN_RADIUS, false, 1), cols, rows, OPEN_RADIUS, true, 0);
  const { cells, size } = largestComponent(opened, cols, rows);
  if (size < MIN_PICTURE * n) return undefined;
  // Fill each row between the component's outermost cells: the outline is row-convex, as pictures are.
  const spans: ([number, number] | undefined)[] = [];
  const inside = new Uint8Array(n);
  let filled = 0;
  for (let y = 0; y < rows; y++) {
    let x0 = -1;
    let x1 = -1;
    for (let x = 0; x < cols; x++) {
      if (!cells[y * cols + x]) continue;
      if (x0 < 0) x0 = x;
      x1 = x;
    }
    if (x0 < 0) {
      spans.push(undefined);
      continue;
    }
    spans.push([x0, x1]);
    inside.fill(1, y * cols + x0, y * cols + x1 + 1);
    filled += x1 - x0 + 1;
  }
  const whole = (): FieldOfViewEstimate => ({
    polygon: WHOLE_FRAME,
    bordered: false,
    inside: new Uint8Array(n).fill(1),
  });
  if (filled > FULL_FRAME_SHARE * n) return whole();
  let outsideDark = 0;
  for (let i = 0; i < n; i++) if (!inside[i] && luma[i]! <= BORDER_LUMA) outsideDark++;
  const centres = spans.filter((s) => s !== undefined).map(([a, b]) => (a + b + 1) / 2);
  const sorted = [...centres].sort((a, b) => a - b);
  const mid = sorted[Math.floor(sorted.length / 2)]!;
  // Rows pulled off the axis by a banner touching the picture are few; a scene that is not a picture has many.
  const offAxis = centres.filter((c) => Math.abs(c - mid) > MAX_CENTRE_SPREAD * cols).length / centres.length;
  // A tower's border surrounds its picture: it touches opposite edges of the frame both or neither
  // (a lit room beside a dark doorway touches one).
  const rowsUsed = spans.map((s, y) => (s ? y : -1)).filter((y) => y >= 0);
  const minX = Math.min(...spans.filter((s) => s !== undefined).map((s) => s[0]));
  const maxX = Math.max(...spans.filter((s) => s !== undefined).map((s) => s[1]));
  const lopsided =
    (minX === 0) !== (maxX === cols - 1) || (rowsUsed[0] === 0) !== (rowsUsed.at(-1) === rows - 1);
  if (outsideDark < BORDER_DARK_SHARE * (n - filled) || offAxis > MAX_OFF_AXIS || lopsided) return whole();
  // The outline runs through the centres of the outermost cells: half a cell inside the picture's edge.
  const left: Point[] = [];
  const right: Point[] = [];
  spans.forEach((s, y) => {
    if (!s) return;
    const cy = (y + 0.5) / rows;
    left.push({ x: (s[0] + 0.5) / cols, y: cy });
    right.push({ x: (s[1] + 0.5) / cols, y: cy });
  });
  const outline = [...right, ...left.reverse()];
  // Clockwise from the top left: the top row's left end first.
  outline.unshift(outline.pop()!);
  const polygon = simplifyPolygon(outline, 0.5 / cols);
  if (polygonArea(polygon) <= 0) return undefined;
  return { polygon, bordered: true, inside };
}

import { checkRgbFrame, type RgbFrame } from '../../media/frame.js';

/** Columns of the colour grid: 160 cells across is 12 px a cell on a 1080p frame, enough to follow the picture's edge. */
export const GRID_COLUMNS = 160;

/** A frame's colour on a coarse grid of square cells: the mean of 2x2 samples in each cell, 0..255. */
export interface ColourGrid {
  cols: number;
  rows: number;
  /** Cell size in frame pixels (both ways). */
  cell: number;
  r: Uint8Array;
  g: Uint8Array;
  b: Uint8Array;
  /** BT.601 luma. */
  luma: Uint8Array;
  /** The darkest of the cell's four samples' luma: a cell bright all through lies inside a bright region. */
  lumaMin: Uint8Array;
}

/**
 * Samples a frame of any size on a grid `cols` cells across (fewer when the frame is narrower), square
 * cells, four samples a cell (at its quarter points), so the cost is fixed whatever the resolution.
 */
export function colourGrid(frame: RgbFrame, cols = GRID_COLUMNS): ColourGrid {
  checkRgbFrame(frame);
  const { width, height, stride, data } = frame;
  const n = Math.max(1, Math.min(cols, Math.floor(width / 2)));
  const cell = width / n;
  const rows = Math.max(1, Math.floor(height / cell));
  const size = n * rows;
  const grid: ColourGrid = {
    cols: n,
    rows,
    cell,
    r: new Uint8Array(size),
    g: new Uint8Array(size),
    b: new Uint8Array(size),
    luma: new Uint8Array(size),
    lumaMin: new Uint8Array(size),
  };
  // The samples' byte offsets, worked out once a column and once a row (not per cell: this runs on
  // every analysed frame, live and in the hub's batch pass).
  const columns = new Int32Array(n * 2);
  for (let gx = 0; gx < n; gx++) {
    columns[2 * gx] = Math.min(width - 1, Math.floor((gx + 0.25) * cell)) * 3;
    columns[2 * gx + 1] = Math.min(width - 1, Math.floor((gx + 0.75) * cell)) * 3;
  }
  const { r: gr, g: gg, b: gb, luma, lumaMin } = grid;
  for (let gy = 0; gy < rows; gy++) {
    const top = Math.min(height - 1, Math.floor((gy + 0.25) * cell)) * stride;
    const bottom = Math.min(height - 1, Math.floor((gy + 0.75) * cell)) * stride;
    for (let gx = 0; gx < n; gx++) {
      const a = top + columns[2 * gx]!;
      const b = top + columns[2 * gx + 1]!;
      const c = bottom + columns[2 * gx]!;
      const d = bottom + columns[2 * gx + 1]!;
      const ra = data[a]!;
      const ga = data[a + 1]!;
      const ba = data[a + 2]!;
      const rb = data[b]!;
      const gb2 = data[b + 1]!;
      const bb = data[b + 2]!;
      const rc = data[c]!;
      const gc = data[c + 1]!;
      const bc = data[c + 2]!;
      const rd = data[d]!;
      const gd = data[d + 1]!;
      const bd = data[d + 2]!;
      const i = gy * n + gx;
      const r = (ra + rb + rc + rd) >> 2;
      const g = (ga + gb2 + gc + gd) >> 2;
      const bl = (ba + bb + bc + bd) >> 2;
      gr[i] = r;
      gg[i] = g;
      gb[i] = bl;
      luma[i] = (77 * r + 150 * g + 29 * bl) >> 8;
      lumaMin[i] = Math.min(
        (77 * ra + 150 * ga + 29 * ba) >> 8,
        (77 * rb + 150 * gb2 + 29 * bb) >> 8,
        (77 * rc + 150 * gc + 29 * bc) >> 8,
        (77 * rd + 150 * gd + 29 * bd) >> 8,
      );
    }
  }
  return grid;
}

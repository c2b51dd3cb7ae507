import { checkRgbFrame, luma8, type RgbFrame } from '../../media/frame.js';

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
  for (let gy = 0; gy < rows; gy++) {
    const top = Math.min(height - 1, Math.floor((gy + 0.25) * cell)) * stride;
    const bottom = Math.min(height - 1, Math.floor((gy + 0.75) * cell)) * stride;
    for (let gx = 0; gx < n; gx++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let darkest = 255;
      // The cell's four samples: top left, top right, bottom left, bottom right.
      for (let s = 0; s < 4; s++) {
        const p = (s < 2 ? top : bottom) + columns[2 * gx + (s & 1)]!;
        r += data[p]!;
        g += data[p + 1]!;
        b += data[p + 2]!;
        darkest = Math.min(darkest, luma8(data[p]!, data[p + 1]!, data[p + 2]!));
      }
      const i = gy * n + gx;
      const meanR = r >> 2;
      const meanG = g >> 2;
      const meanB = b >> 2;
      grid.r[i] = meanR;
      grid.g[i] = meanG;
      grid.b[i] = meanB;
      grid.luma[i] = luma8(meanR, meanG, meanB);
      grid.lumaMin[i] = darkest;
    }
  }
  return grid;
}

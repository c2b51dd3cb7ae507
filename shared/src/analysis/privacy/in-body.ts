import type { ColourGrid } from './colour-grid.js';

/**
 * What the colour inside the picture must show for the view to count as the inside of the body. Mucosa
 * is red to pink under white light, with green well below red; a room is mostly other hues (walls,
 * linen, equipment) and skin has more green. Without a tower's bordered picture (a camera, a room)
 * the bar is higher: the picture in its border is itself a sign of a scope's view.
 */
export interface InBodyThresholds {
  /** Red over the mean of green and blue, summed over the picture. */
  redRatio: number;
  /** Share of the picture's lit cells whose hue is red (not orange, not skin) and saturated. */
  redShare: number;
  /** Green over red, summed over the picture: at most this. */
  greenOverRed: number;
}

export const bordered: InBodyThresholds = { redRatio: 1.35, redShare: 0.8, greenOverRed: 0.72 };
export const unbordered: InBodyThresholds = { redRatio: 1.6, redShare: 0.9, greenOverRed: 0.6 };

/** Luma (0..255) below which a cell is too dark to judge (the lumen, the border). */
const DARK = 26;
/** A cell this bright and this grey is a specular highlight, not mucosa. */
const SPECULAR_LUMA = 200;
const SPECULAR_CHROMA = 0.18;
/** Hue limits of red, as (green - blue) / (max - min): 1/3 is 20 degrees towards orange, 1/2 is 30 towards pink. */
const RED_HUE_ORANGE = 1 / 3;
const RED_HUE_PINK = 1 / 2;
/** Fewest lit cells, as a share of the picture, for any judgement at all. */
const MIN_LIT = 0.25;

export interface InBodyColour {
  inBody: boolean;
  redRatio: number;
  redShare: number;
  greenOverRed: number;
  /** Share of the picture lit enough to judge. */
  lit: number;
}

/**
 * Judges by colour whether the picture (grid cells marked in `inside`) shows the inside of the body:
 * every threshold must hold, over the lit cells (neither dark lumen nor specular highlights).
 */
export function judgeInBodyColour(
  grid: ColourGrid,
  inside: Uint8Array,
  borderedPicture: boolean,
): InBodyColour {
  const t = borderedPicture ? bordered : unbordered;
  let r = 0;
  let g = 0;
  let b = 0;
  let lit = 0;
  let red = 0;
  let cells = 0;
  for (let i = 0; i < inside.length; i++) {
    if (!inside[i]) continue;
    cells++;
    const cr = grid.r[i]!;
    const cg = grid.g[i]!;
    const cb = grid.b[i]!;
    const luma = grid.luma[i]!;
    if (luma < DARK) continue;
    const max = Math.max(cr, cg, cb);
    const chroma = (max - Math.min(cr, cg, cb)) / max;
    if (luma > SPECULAR_LUMA && chroma < SPECULAR_CHROMA) continue;
    lit++;
    r += cr;
    g += cg;
    b += cb;
    // Red hue: red the largest, within 20 degrees towards orange (skin and warm walls lie beyond, at
    // 21-30) and 30 towards pink; and saturated.
    const spread = max - Math.min(cr, cg, cb);
    if (cr === max && chroma >= 0.2 && cg - cb <= RED_HUE_ORANGE * spread && cb - cg <= RED_HUE_PINK * spread)
      red++;
  }
  const redRatio = r / Math.max(1, (g + b) / 2);
  const redShare = lit > 0 ? red / lit : 0;
  const greenOverRed = r > 0 ? g / r : 1;
  const litShare = cells > 0 ? lit / cells : 0;
  return {
    inBody:
      litShare >= MIN_LIT &&
      redRatio >= t.redRatio &&
      redShare >= t.redShare &&
      greenOverRed <= t.greenOverRed,
    redRatio: +redRatio.toFixed(3),
    redShare: +redShare.toFixed(3),
    greenOverRed: +greenOverRed.toFixed(3),
    lit: +litShare.toFixed(3),
  };
}

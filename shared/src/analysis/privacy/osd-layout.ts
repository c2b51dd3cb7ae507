import { type LayoutBox, MAX_LAYOUT_BOXES } from '../../messages/events.js';

export type { LayoutBox };

export interface LayoutLearnerOptions {
  /** Grid the frame is watched on (cells across and down). */
  cols: number;
  rows: number;
  /** Analysed frames a cell's history covers. */
  window: number;
  /** A cell with text in at least this many of them is on-screen display (a blink or a scroll still counts). */
  hits: number;
}

export const defaultLayoutLearnerOptions: LayoutLearnerOptions = {
  cols: 128,
  rows: 128,
  window: 16, // 3 s at 5 fps, 8 s at 2 fps
  hits: 6,
};

const right = (b: { x: number; w: number }) => b.x + b.w;
const bottom = (b: { y: number; h: number }) => b.y + b.h;
const overlaps = (a: LayoutBox, b: LayoutBox) =>
  a.x < right(b) && b.x < right(a) && a.y < bottom(b) && b.y < bottom(a);
const union = (a: LayoutBox, b: LayoutBox): LayoutBox => {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return {
    x,
    y,
    w: Math.max(right(a), right(b)) - x,
    h: Math.max(bottom(a), bottom(b)) - y,
    origin: 'learned',
  };
};
const area = (b: LayoutBox) => b.w * b.h;

/**
 * Learns where the tower writes its on-screen display: text found at the same place in many recent
 * frames (a banner, a clock, the date) is added to the layout, which from then on is masked whether
 * or not a frame's detection finds it (a blink, a scroll, a new font). It only ever grows by itself;
 * a person removes what should not be there.
 */
export class OsdLayoutLearner {
  private layout: LayoutBox[];
  private readonly history: Uint8Array[] = [];
  private readonly counts: Uint16Array;
  private readonly o: LayoutLearnerOptions;

  constructor(initial: readonly LayoutBox[] = [], options: Partial<LayoutLearnerOptions> = {}) {
    this.o = { ...defaultLayoutLearnerOptions, ...options };
    this.layout = [...initial];
    this.counts = new Uint16Array(this.o.cols * this.o.rows);
  }

  get boxes(): LayoutBox[] {
    return [...this.layout];
  }

  /** Replaces the layout (a person edited it); what was being learned starts over. */
  replace(boxes: readonly LayoutBox[]): void {
    this.layout = [...boxes];
    this.history.length = 0;
    this.counts.fill(0);
  }

  /** Feeds one analysed frame's masked text regions (normalised); returns true when the layout grew. */
  observe(regions: readonly { x: number; y: number; w: number; h: number }[]): boolean {
    const { cols, rows, window, hits } = this.o;
    const frame = new Uint8Array(cols * rows);
    for (const r of regions) {
      const x0 = Math.max(0, Math.floor(r.x * cols));
      const x1 = Math.min(cols, Math.ceil(right(r) * cols));
      const y0 = Math.max(0, Math.floor(r.y * rows));
      const y1 = Math.min(rows, Math.ceil(bottom(r) * rows));
      for (let y = y0; y < y1; y++) frame.fill(1, y * cols + x0, y * cols + x1);
    }
    this.history.push(frame);
    for (let i = 0; i < frame.length; i++) this.counts[i]! += frame[i]!;
    if (this.history.length > window) {
      const old = this.history.shift()!;
      for (let i = 0; i < old.length; i++) this.counts[i]! -= old[i]!;
    }
    // Cells that keep showing text and that the layout does not cover yet.
    const hot = new Uint8Array(cols * rows);
    let any = false;
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        const i = y * cols + x;
        if (this.counts[i]! < hits) continue;
        const centre = { x: (x + 0.5) / cols, y: (y + 0.5) / rows };
        if (
          this.layout.some(
            (b) => centre.x >= b.x && centre.x < right(b) && centre.y >= b.y && centre.y < bottom(b),
          )
        )
          continue;
        hot[i] = 1;
        any = true;
      }
    }
    if (!any) return false;
    for (const found of this.components(hot)) this.add(found);
    while (this.layout.length > MAX_LAYOUT_BOXES) this.mergeNearest();
    return true;
  }

  /** Bounding boxes (normalised, one cell of margin) of 8-connected groups of hot cells. */
  private components(hot: Uint8Array): LayoutBox[] {
    const { cols, rows } = this.o;
    const seen = new Uint8Array(hot.length);
    const found: LayoutBox[] = [];
    for (let start = 0; start < hot.length; start++) {
      if (!hot[start] || seen[start]) continue;
      const stack = [start];
      seen[start] = 1;
      let [x0, y0, x1, y1] = [cols, rows, -1, -1];
      while (stack.length) {
        const i = stack.pop()!;
        const x = i % cols;
        const y = (i - x) / cols;
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            const yy = y + dy;
            if (xx < 0 || yy < 0 || xx >= cols || yy >= rows) continue;
            const j = yy * cols + xx;
            if (hot[j] && !seen[j]) {
              seen[j] = 1;
              stack.push(j);
            }
          }
        }
      }
      const bx0 = Math.max(0, x0 - 1) / cols;
      const by0 = Math.max(0, y0 - 1) / rows;
      const bx1 = Math.min(cols, x1 + 2) / cols;
      const by1 = Math.min(rows, y1 + 2) / rows;
      found.push({ x: bx0, y: by0, w: bx1 - bx0, h: by1 - by0, origin: 'learned' });
    }
    return found;
  }

  /** Adds a learned region, merged with every learned region it overlaps. */
  private add(box: LayoutBox): void {
    let merged = box;
    for (let again = true; again; ) {
      again = false;
      for (const other of this.layout) {
        if (other.origin !== 'learned' || !overlaps(other, merged)) continue;
        merged = union(other, merged);
        this.layout = this.layout.filter((b) => b !== other);
        again = true;
        break;
      }
    }
    this.layout.push(merged);
  }

  private mergeNearest(): void {
    const learned = this.layout.filter((b) => b.origin === 'learned');
    if (learned.length < 2) {
      this.layout = this.layout.slice(0, MAX_LAYOUT_BOXES);
      return;
    }
    let best: [LayoutBox, LayoutBox] = [learned[0]!, learned[1]!];
    let bestGrowth = Number.POSITIVE_INFINITY;
    for (let i = 0; i < learned.length; i++) {
      for (let j = i + 1; j < learned.length; j++) {
        const growth = area(union(learned[i]!, learned[j]!)) - area(learned[i]!) - area(learned[j]!);
        if (growth < bestGrowth) {
          bestGrowth = growth;
          best = [learned[i]!, learned[j]!];
        }
      }
    }
    this.layout = this.layout.filter((b) => b !== best[0] && b !== best[1]);
    this.add(union(best[0], best[1]));
  }
}

import type { FieldOfView } from './field-of-view.js';
import { type Point, polygonRowSpans, simplifyPolygon } from './polygon.js';

/**
 * How long a changed picture must hold before the tracker adopts it (stream ms). A picture that grows
 * is unmasked only after this, which is longer than the recorder's delay (1.5 s): frames still in the
 * recorder's queue, from before the tower changed its layout, never lose their mask early.
 */
export const FOV_SETTLE_MS = 2000;
/** Raster the tracker compares outlines on: columns (resolution of x) and rows. */
const COLS = 1000;
const ROWS = 240;
/** Two outlines whose overlap (intersection over union) is at least this are the same picture. */
const SAME = 0.97;

type Spans = ([number, number] | undefined)[];

function spansOf(fov: FieldOfView): Spans {
  return polygonRowSpans(fov.polygon, COLS, ROWS);
}

function area(spans: Spans): number {
  return spans.reduce((sum, s) => sum + (s ? s[1] - s[0] : 0), 0);
}

function intersect(a: Spans, b: Spans): Spans {
  return a.map((s, y) => {
    const t = b[y];
    if (!s || !t) return undefined;
    const x0 = Math.max(s[0], t[0]);
    const x1 = Math.min(s[1], t[1]);
    return x1 > x0 ? ([x0, x1] as [number, number]) : undefined;
  });
}

function overlap(a: Spans, b: Spans): number {
  const both = area(intersect(a, b));
  const union = area(a) + area(b) - both;
  return union > 0 ? both / union : 1;
}

/** An outline from row spans: the right ends top to bottom, then the left ends back up. */
function outline(spans: Spans): Point[] {
  const left: Point[] = [];
  const right: Point[] = [];
  spans.forEach((s, y) => {
    if (!s) return;
    for (const yy of [y, y + 1]) {
      left.push({ x: s[0] / COLS, y: yy / ROWS });
      right.push({ x: s[1] / COLS, y: yy / ROWS });
    }
  });
  return simplifyPolygon([...right, ...left.reverse()], 0.5 / ROWS);
}

/**
 * Follows the picture across frames, failing closed: the outline in use is the adopted picture cut
 * down to this frame's (a picture that shrinks is masked at once); a changed picture is adopted only
 * once it has held for FOV_SETTLE_MS. Frames with no picture (black) leave it as it is.
 */
export class FieldOfViewTracker {
  private adopted?: { spans: Spans; bordered: boolean };
  private candidate?: { spans: Spans; bordered: boolean; sinceMs: number };
  private current?: FieldOfView;

  /** The outline to mask by now; undefined until a picture has been seen. */
  get fieldOfView(): FieldOfView | undefined {
    return this.current;
  }

  /** The adopted picture (not cut down to the last frame): what masked areas are measured against. */
  get adoptedFieldOfView(): FieldOfView | undefined {
    return this.adopted
      ? { polygon: outline(this.adopted.spans), bordered: this.adopted.bordered }
      : undefined;
  }

  /** Feeds one analysed frame's picture (stream time); returns true when the outline in use changed. */
  update(ptsMs: number, seen: FieldOfView | undefined): boolean {
    if (!seen) return false;
    const spans = spansOf(seen);
    const before = this.current;
    if (!this.adopted) {
      this.adopted = { spans, bordered: seen.bordered };
      this.candidate = undefined;
    } else if (overlap(spans, this.adopted.spans) >= SAME) {
      this.candidate = undefined;
    } else if (this.candidate && overlap(spans, this.candidate.spans) >= SAME) {
      if (ptsMs - this.candidate.sinceMs >= FOV_SETTLE_MS) {
        this.adopted = { spans, bordered: seen.bordered };
        this.candidate = undefined;
      }
    } else {
      this.candidate = { spans, bordered: seen.bordered, sinceMs: ptsMs };
    }
    const inUse = intersect(this.adopted.spans, spans);
    this.current = area(inUse) > 0 ? { polygon: outline(inUse), bordered: this.adopted.bordered } : before;
    return JSON.stringify(before) !== JSON.stringify(this.current);
  }
}

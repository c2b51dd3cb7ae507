import type { Box } from '../../messages/events.js';
import { iou } from '../box-geometry.js';

/** How long (stream ms) a line the recogniser read as text stays confirmed without being read again. */
export const CONFIRMED_FOR_MS = 2000;
/**
 * And at most this long in wall-clock time (ms): frames with no stream time of their own (still
 * images, all at 0) would otherwise keep a confirmation for good.
 */
export const CONFIRMED_FOR_WALL_MS = 10_000;
/** Least overlap (intersection over union) of a line with a confirmed one to count as the same line. */
export const SAME_LINE_IOU = 0.7;
/** Most lines remembered per frame size (a tower's display holds a few dozen at most). */
const MAX_LINES = 64;

/**
 * Text lines the recogniser read as text moments ago, so that a line found again in the same place
 * (a tower's banner, still from frame to frame) is masked without being read again: the recogniser
 * costs about 50 ms a line on a CPU, on every frame. Only readings of text are remembered. Reusing one
 * can only mask a line the detector found where text was read before; a line read as a highlight or
 * texture (not masked) is read again every time, so a stale reading never unmasks anything. A
 * confirmation lasts CONFIRMED_FOR_MS of stream time from its reading (and CONFIRMED_FOR_WALL_MS of
 * wall-clock time), then the line is read again.
 */
export class ConfirmedTextLines {
  private readonly lines = new Map<string, { box: Box; readAtMs: number; readAtWallMs: number }[]>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  private fresh(k: { readAtMs: number; readAtWallMs: number }, ptsMs: number, wallMs: number): boolean {
    return (
      Math.abs(ptsMs - k.readAtMs) <= CONFIRMED_FOR_MS && wallMs - k.readAtWallMs <= CONFIRMED_FOR_WALL_MS
    );
  }

  /** Whether `line`, in a frame of this size at `ptsMs`, was read as text within CONFIRMED_FOR_MS. */
  covers(line: Box, size: { width: number; height: number }, ptsMs: number): boolean {
    const known = this.lines.get(`${size.width}x${size.height}`) ?? [];
    const wallMs = this.now();
    return known.some((k) => this.fresh(k, ptsMs, wallMs) && iou(k.box, line) >= SAME_LINE_IOU);
  }

  /** The recogniser read `line` as text at `ptsMs`. */
  confirmed(line: Box, size: { width: number; height: number }, ptsMs: number): void {
    const key = `${size.width}x${size.height}`;
    const wallMs = this.now();
    const known = (this.lines.get(key) ?? []).filter(
      (k) => this.fresh(k, ptsMs, wallMs) && iou(k.box, line) < SAME_LINE_IOU,
    );
    known.push({ box: line, readAtMs: ptsMs, readAtWallMs: wallMs });
    this.lines.set(key, known.slice(-MAX_LINES));
  }
}

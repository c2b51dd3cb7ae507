import type { Box } from '@gic/shared/messages/events.js';
import { maskSvg } from './pipeline-description.js';
import { StickyRegions } from './sticky-regions.js';

/**
 * How far the recorder runs behind the tee, so that a decision can reach frames before they are masked
 * and encoded (ms). It must exceed how far analysis can trail the tee (its queue and appsink, the
 * batch in flight) plus the gap between sampled frames at the slowest rate (500 ms at 2 fps).
 */
export const RECORDER_DELAY_MS = 1500;
// The recorder never trails the tee by much more than this (RECORDER_SLACK_MS in pipeline-description.ts).
/** Extra in-body time before unmasking, beyond the recorder delay (ms). */
const UNMASK_MARGIN_MS = 500;

const FULL_FRAME: Box = { x: 0, y: 0, w: 1, h: 1 };

/**
 * Decides what the recorder burns out: always the static on-screen-display masks and every text
 * region the detector keeps finding (so text the configuration did not foresee is burned out too),
 * and the whole frame
 * whenever the scope may be outside the body (faces, the room), because no such frame may be stored.
 * Masking starts at once on an out-of-body frame; since the recorder runs RECORDER_DELAY_MS behind,
 * that also covers the frames just before. Unmasking waits until in-body has held for longer than
 * the delay, so no out-of-body frame still in the recorder's queue is let through. Times are stream
 * times (the frame's pts), not wall-clock, so it holds however fast a file is replayed.
 */
export class RecorderMask {
  private full: boolean;
  private inBodySinceMs: number | undefined;
  private readonly text = new StickyRegions();

  constructor(
    private readonly staticMasks: Box[],
    /** Start with the whole frame masked until the first frames show the inside of the body. */
    startMasked = true,
  ) {
    this.full = startMasked;
  }

  /** The SVG for rsvgoverlay now. */
  get svg(): string {
    const masks = [...this.staticMasks, ...this.text.boxes];
    return maskSvg(this.full ? [...masks, FULL_FRAME] : masks);
  }

  get fullFrame(): boolean {
    return this.full;
  }

  /**
   * Feeds one analysed frame, with the burned-in text the detector found in it (kept masked while it
   * keeps being found, see StickyRegions); returns the new SVG when the mask changes.
   */
  update(ptsMs: number, inBody: boolean, textRegions: Box[] = []): string | undefined {
    const textChanged = this.text.update(ptsMs, textRegions);
    if (!inBody) {
      this.inBodySinceMs = undefined;
      if (this.full) return textChanged ? this.svg : undefined;
      this.full = true;
      return this.svg;
    }
    this.inBodySinceMs ??= ptsMs;
    if (this.full && ptsMs - this.inBodySinceMs >= RECORDER_DELAY_MS + UNMASK_MARGIN_MS) {
      this.full = false;
      return this.svg;
    }
    return textChanged ? this.svg : undefined;
  }
}

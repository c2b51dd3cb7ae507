import type { Scan } from './frame-analyzer.js';

/**
 * Picks which frames of a live source get a full text scan. A full scan keeps 10 px glyphs (a
 * 1280x720 frame: about 0.25 s of text detection on a 2-core CPU); doing it on every frame at 5 fps
 * would take more than the CPU has. So full scans run at least once every `everyMs` of stream time and
 * the frames between get a light one (at 512 px across: banner lines, in about 40 ms). Faces are
 * searched in full on every frame (about 25 ms).
 *
 * Why nothing leaks in between: what a full scan finds stays masked (text 10 s, the learned
 * layout for good), and the recorder encodes each frame RECORDER_DELAY_MS (1.5 s) after analysis saw
 * it, failing closed whenever analysis lags by more than 0.5 s. Small print that appears anew is
 * found by the next full scan, at most `everyMs` later, and masked before its first frame is encoded
 * as long as `everyMs` plus that lag stays within the delay: hence at most 1000 ms.
 *
 * A frame is scanned in full when waiting for the next one (expected after the same gap as since the
 * previous) would leave more than `everyMs` since the last full scan. `everyMs` 0: every frame in full.
 * Stream time going backwards (a new run of the source) starts over.
 */
export class ScanCadence {
  private lastFullPtsMs: number | undefined;
  private previousPtsMs: number | undefined;

  constructor(private readonly everyMs: number) {
    if (!(everyMs >= 0 && everyMs <= MAX_FULL_SCAN_INTERVAL_MS)) {
      throw new RangeError(`full scan interval must be 0..${MAX_FULL_SCAN_INTERVAL_MS} ms, got ${everyMs}`);
    }
  }

  /** The scan for each frame of a batch, in stream order. */
  pick(frames: readonly { ptsMs: number }[]): Scan[] {
    return frames.map(({ ptsMs }) => {
      const last = this.lastFullPtsMs;
      const previous = this.previousPtsMs;
      this.previousPtsMs = ptsMs;
      const gap = previous !== undefined && ptsMs > previous ? ptsMs - previous : 0;
      if (this.everyMs === 0 || last === undefined || ptsMs < last || ptsMs + gap - last > this.everyMs) {
        this.lastFullPtsMs = ptsMs;
        return 'full';
      }
      return 'light';
    });
  }
}

/** The longest interval between full scans the recorder's delay covers (ms; see ScanCadence). */
export const MAX_FULL_SCAN_INTERVAL_MS = 1000;

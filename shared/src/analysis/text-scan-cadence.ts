import type { TextScan } from './frame-analyzer.js';

/**
 * Picks which frames of a live source get a full text scan. A full scan keeps 10 px glyphs (a
 * 1280x720 frame read whole, about 0.2 s on a 2-core CPU); doing it on every frame at 5 fps would take
 * more than the CPU has. So a full scan runs at most once every `everyMs` of stream time and the
 * frames between get a light one (large text only, LIGHT_SCAN_SCALE). Small print found by a full scan
 * stays masked between scans (the recorder holds text for 10 s, and the learned layout for good), so
 * what a light scan misses is only small print that appears anew, for at most `everyMs`.
 * `everyMs` 0: every frame in full. Stream time going backwards (a new run of the source) starts over.
 */
export class TextScanCadence {
  private lastFullPtsMs: number | undefined;

  constructor(private readonly everyMs: number) {
    if (!(everyMs >= 0)) throw new RangeError(`full text scan interval must be >= 0 ms, got ${everyMs}`);
  }

  /** The scan for each frame of a batch, in stream order. */
  pick(frames: readonly { ptsMs: number }[]): TextScan[] {
    return frames.map(({ ptsMs }) => {
      const last = this.lastFullPtsMs;
      if (this.everyMs === 0 || last === undefined || ptsMs < last || ptsMs - last >= this.everyMs) {
        this.lastFullPtsMs = ptsMs;
        return 'full';
      }
      return 'light';
    });
  }
}

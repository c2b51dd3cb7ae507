import type { FrameAnalysis } from '@gic/shared/messages/events.js';
import { qualityScore } from './summary-builder.js';

type Viewed = Pick<FrameAnalysis, 'ptsMs' | 'quality'>;

/**
 * Whether `a` is a better view of its stretch than `b`: the higher quality score, then the sharper,
 * then the earlier (so the choice does not depend on the order frames are looked at).
 */
export function betterView(a: Viewed, b: Viewed): boolean {
  const sa = qualityScore(a.quality);
  const sb = qualityScore(b.quality);
  if (sa !== sb) return sa > sb;
  if (a.quality.sharpness !== b.quality.sharpness) return a.quality.sharpness > b.quality.sharpness;
  return a.ptsMs < b.ptsMs;
}

/**
 * Which analysed frames may yet become key frames, told as each is analysed (in any order), so that
 * only those are kept as pictures rather than every sampled frame: each frame with a detection (a
 * finding's best frame is one of them) and each in-body frame that is the best view of its stretch
 * of `everyMs` so far. Every frame `chooseKeyframes` picks from the same analyses is among them;
 * a stretch's earlier bests, kept before it was beaten, are not chosen in the end.
 */
export class KeyframeCandidates {
  /** The best view so far of each stretch (by stretch number): analyses only, no pictures. */
  private readonly best = new Map<number, Viewed>();

  constructor(private readonly everyMs: number) {
    if (!(everyMs > 0)) throw new RangeError(`a key frame stretch must last > 0 ms, got ${everyMs}`);
  }

  /** True when the frame must be kept: it may become a key frame. */
  offer(analysis: Pick<FrameAnalysis, 'ptsMs' | 'quality' | 'detections'>): boolean {
    let keep = analysis.detections.length > 0;
    if (analysis.quality.inBody) {
      const stretch = Math.floor(analysis.ptsMs / this.everyMs);
      const current = this.best.get(stretch);
      if (!current || betterView(analysis, current)) {
        this.best.set(stretch, analysis);
        keep = true;
      }
    }
    return keep;
  }
}

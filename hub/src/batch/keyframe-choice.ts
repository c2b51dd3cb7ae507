import type { FrameAnalysis } from '@gic/shared/messages/events.js';
import { betterView } from './keyframe-candidates.js';
import { groupFindings } from './summary-builder.js';

export interface KeyframeChoice {
  tMs: number;
  reason: 'finding' | 'interval';
}

/**
 * Which analysed frames become key frames: each finding's best frame, and in every stretch of
 * `everyMs` the best view inside the body (sharp, well exposed, then sharpest, then earliest). Stretches spent
 * outside the body give none: they would be masked whole.
 */
export function chooseKeyframes(analyses: FrameAnalysis[], everyMs: number): KeyframeChoice[] {
  const chosen = new Map<number, KeyframeChoice>();
  for (const f of groupFindings(analyses)) chosen.set(f.tMs, { tMs: f.tMs, reason: 'finding' });
  const best = new Map<number, FrameAnalysis>();
  for (const a of analyses) {
    if (!a.quality.inBody) continue;
    const slot = Math.floor(a.ptsMs / everyMs);
    const current = best.get(slot);
    if (!current || betterView(a, current)) best.set(slot, a);
  }
  for (const a of best.values())
    if (!chosen.has(a.ptsMs)) chosen.set(a.ptsMs, { tMs: a.ptsMs, reason: 'interval' });
  return [...chosen.values()].sort((a, b) => a.tMs - b.tMs);
}

import {
  composeMask,
  FieldOfViewTracker,
  type Point,
  type PrivacyMask,
  type PrivacyMode,
} from '@gic/shared/analysis/privacy/index.js';
import type { Box, FrameAnalysis } from '@gic/shared/messages/events.js';

export interface MaskTimelineOptions {
  mode: PrivacyMode;
  /** The device's learned or configured on-screen-display boxes (none for an uploaded video). */
  layout: Box[];
  /** A text line stays masked this long either side of a frame it was found in (ms): as the edge holds it. */
  holdTextMs: number;
  /** A face stays masked this long either side (ms). */
  holdFaceMs: number;
  /** Further than this from any analysed frame (ms), a moment is masked whole: nothing vouches for it. */
  gapMs: number;
}

export const defaultMaskTimeline: MaskTimelineOptions = {
  mode: 'mask-outside',
  layout: [],
  holdTextMs: 10_000,
  holdFaceMs: 3000,
  gapMs: 1500,
};

interface Point_ {
  tMs: number;
  inBody: boolean;
  fov: Point[] | undefined;
  text: Box[];
  faces: Box[];
}

/**
 * The privacy mask at any moment of a video from the analyses of its sampled frames, with the shared
 * engine's layers (composeMask, FieldOfViewTracker), failing closed like the edge's recorder: a
 * moment next to a frame judged outside the body, or too far from any analysed frame, is masked
 * whole; text and faces are held either side of where they were found (a batch job can look ahead,
 * the live recorder only behind).
 */
export class MaskTimeline {
  private readonly points: Point_[];

  constructor(
    analyses: Pick<FrameAnalysis, 'ptsMs' | 'quality' | 'fieldOfView' | 'privacyRegions'>[],
    private readonly options: MaskTimelineOptions = defaultMaskTimeline,
  ) {
    const tracker = new FieldOfViewTracker();
    this.points = [...analyses]
      .sort((a, b) => a.ptsMs - b.ptsMs)
      .map((a) => {
        tracker.update(a.ptsMs, a.fieldOfView);
        return {
          tMs: a.ptsMs,
          inBody: a.quality.inBody,
          fov: tracker.fieldOfView?.polygon,
          text: a.privacyRegions.filter((r) => r.kind !== 'face' && r.recognised !== false),
          faces: a.privacyRegions.filter((r) => r.kind === 'face'),
        };
      });
  }

  /** Index of the last analysed frame at or before `tMs` (-1 if none). */
  private before(tMs: number): number {
    let lo = 0;
    let hi = this.points.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.points[mid]!.tMs <= tMs) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** The mask to burn into the picture shown at `tMs`. */
  maskAt(tMs: number): PrivacyMask {
    const { gapMs, holdTextMs, holdFaceMs, mode, layout } = this.options;
    const i = this.before(tMs);
    const prev = this.points[i];
    const next = this.points[i + 1];
    const near = [prev, next].filter((p): p is Point_ => p !== undefined && Math.abs(p.tMs - tMs) <= gapMs);
    const full = near.length === 0 || near.some((p) => !p.inBody);
    const regions: Box[] = [];
    const hold = Math.max(holdTextMs, holdFaceMs);
    for (let k = this.before(tMs - hold - 1) + 1; k < this.points.length; k++) {
      const p = this.points[k]!;
      if (p.tMs > tMs + hold) break;
      const d = Math.abs(p.tMs - tMs);
      if (d <= holdTextMs) regions.push(...p.text);
      if (d <= holdFaceMs) regions.push(...p.faces);
    }
    const fov = (prev ?? next)?.fov;
    return composeMask({ mode, full, ...(fov ? { fieldOfView: fov } : {}), layout, regions });
  }
}

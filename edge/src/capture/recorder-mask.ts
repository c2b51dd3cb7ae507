import { FieldOfViewTracker } from '@gic/shared/analysis/privacy/field-of-view-tracker.js';
import {
  composeMask,
  maskedShareOfPicture,
  maskSvg,
  type PrivacyMask,
  type PrivacyMode,
} from '@gic/shared/analysis/privacy/privacy-mask.js';
import type { Box, FrameAnalysis } from '@gic/shared/messages/events.js';
import { STICKY_FACE_MS, STICKY_TEXT_MS, StickyRegions } from './sticky-regions.js';

/**
 * How far the recorder runs behind the tee, so that a decision can reach frames before they are masked
 * and encoded (ms). It must exceed how far analysis can trail the tee (its queue and appsink, the
 * batch in flight) plus the gap between sampled frames at the slowest rate (500 ms at 2 fps).
 */
export const RECORDER_DELAY_MS = 1500;
// The recorder never trails the tee by much more than this (RECORDER_SLACK_MS in pipeline-description.ts).
/** Extra in-body time before unmasking, beyond the recorder delay (ms). */
const UNMASK_MARGIN_MS = 500;

export interface RecorderMaskOptions {
  mode: PrivacyMode;
  /** On-screen-display boxes configured by hand (GIC_PRIVACY_MASKS), always masked. */
  configured: Box[];
  /** The device's learned and edited layout now (layer 3); none when that layer is off. */
  layout: () => Box[];
  /** Start with the whole frame masked until the first frames show the inside of the body. */
  startMasked?: boolean;
  /**
   * Keep text regions masked for a while after they were last found (default). Off only with the
   * layout layer off (GIC_PRIVACY_LAYERS_OFF=layout), to measure what persistence buys: then a region
   * is masked only while each analysis keeps finding it.
   */
  holdText?: boolean;
}

/**
 * Decides what the recorder burns out, layer by layer, each failing closed (see
 * shared/analysis/privacy): (1) the whole frame whenever the scope may be outside the body (faces, the
 * room), at once on an out-of-body frame, and unmasked only once in-body has held for longer than the
 * recorder's delay, so no out-of-body frame still in its queue is let through; (2) everything outside
 * the endoscope's picture, followed across frames (FieldOfViewTracker); (3) the layout, learned and
 * configured; (4) text lines the analysis masks (held 10 s after last found, StickyRegions) and faces
 * (held 3 s). Times are stream times (the frame's pts), not wall-clock, so it holds however fast a file
 * is replayed.
 */
export class RecorderMask {
  private full: boolean;
  private inBodySinceMs: number | undefined;
  private readonly text: StickyRegions;
  private readonly faces = new StickyRegions(STICKY_FACE_MS, 0);
  private readonly picture = new FieldOfViewTracker();
  private current: string;

  constructor(private readonly options: RecorderMaskOptions) {
    this.full = options.startMasked ?? true;
    this.text = new StickyRegions(options.holdText === false ? 0 : STICKY_TEXT_MS);
    this.current = maskSvg(this.mask);
  }

  /** The mask now, as every output renders it. */
  get mask(): PrivacyMask {
    return this.compose(this.full);
  }

  /** The SVG for rsvgoverlay now. */
  get svg(): string {
    return this.current;
  }

  get fullFrame(): boolean {
    return this.full;
  }

  private compose(full: boolean): PrivacyMask {
    return composeMask({
      mode: this.options.mode,
      full,
      ...(this.picture.fieldOfView ? { fieldOfView: this.picture.fieldOfView.polygon } : {}),
      layout: [...this.options.configured, ...this.options.layout()],
      regions: [...this.text.boxes, ...this.faces.boxes],
    });
  }

  /** The new SVG if the mask changed since the last one handed out. */
  private changed(): string | undefined {
    const svg = maskSvg(this.mask);
    if (svg === this.current) return undefined;
    this.current = svg;
    return svg;
  }

  /**
   * Feeds one analysed frame: its picture, the text lines it masks (those the recogniser did not reject)
   * and its faces; returns the new SVG when the mask changes.
   */
  update(analysis: FrameAnalysis): string | undefined {
    const { ptsMs } = analysis;
    this.picture.update(ptsMs, analysis.fieldOfView);
    const text = analysis.privacyRegions.filter((r) => r.kind !== 'face' && r.recognised !== false);
    this.text.update(
      ptsMs,
      text.map(({ x, y, w, h }) => ({ x, y, w, h })),
    );
    const faces = analysis.privacyRegions.filter((r) => r.kind === 'face');
    this.faces.update(
      ptsMs,
      faces.map(({ x, y, w, h }) => ({ x, y, w, h })),
    );
    this.body(ptsMs, analysis.quality.inBody);
    return this.changed();
  }

  /** Analysis lags the video: the whole frame is masked, as if the scope were outside (fail closed). */
  failClosed(ptsMs: number): string | undefined {
    this.body(ptsMs, false);
    return this.changed();
  }

  /** The layout changed (learned or edited): the new SVG, if the mask changed. */
  refresh(): string | undefined {
    return this.changed();
  }

  private body(ptsMs: number, inBody: boolean): void {
    if (!inBody) {
      this.inBodySinceMs = undefined;
      this.full = true;
      return;
    }
    this.inBodySinceMs ??= ptsMs;
    if (this.full && ptsMs - this.inBodySinceMs >= RECORDER_DELAY_MS + UNMASK_MARGIN_MS) this.full = false;
  }

  /**
   * The mask of one analysed frame for a picture made of that frame alone (a finding's thumbnail):
   * the recording's layers 2-4 as they stand, and layer 1 judged by this frame.
   */
  frameMask(analysis: FrameAnalysis): PrivacyMask {
    return this.compose(!analysis.quality.inBody);
  }

  /**
   * Share of the picture (as adopted) that layers 2-4 hide now, for a frame of this aspect (width over
   * height): what a reviewer loses of the clinical image. Undefined before a picture has been seen.
   */
  maskedInPicture(aspect: number): number | undefined {
    const picture = this.picture.adoptedFieldOfView;
    if (!picture) return undefined;
    return +maskedShareOfPicture(this.compose(false), picture.polygon, aspect).toFixed(4);
  }
}

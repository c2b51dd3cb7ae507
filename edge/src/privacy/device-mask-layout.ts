import { OsdLayoutLearner } from '@gic/shared/analysis/privacy/osd-layout.js';
import type { FrameAnalysis, LayoutBox } from '@gic/shared/messages/events.js';
import type { MaskLayoutStore } from './mask-layout-store.js';

/**
 * The learner sees full scans only, about one a second on a live source (GIC_FULL_SCAN_MS):
 * text at the same place in 4 of the last 10 is the tower's display, learned after about 4 s (2 s when
 * every frame is scanned in full at 5 fps).
 */
const FULL_SCAN_LEARNING = { window: 10, hits: 4 };

/**
 * Layer 3 of the box's privacy: the tower's on-screen-display layout, learned from in-body frames
 * (text lines the analysis masks, found at the same place again and again), kept in SQLite, sent to
 * the hub, and edited from the in-room screen. Learning only ever adds; a person removes.
 */
export class DeviceMaskLayout {
  private readonly learner: OsdLayoutLearner;
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly store: MaskLayoutStore,
    /** false: the layer is off (GIC_PRIVACY_LAYERS_OFF=layout): nothing is learned or masked by it. */
    readonly enabled = true,
  ) {
    this.learner = new OsdLayoutLearner(store.load(), FULL_SCAN_LEARNING);
  }

  /** The layout as stored (shown and edited on the screen, whether or not the layer masks). */
  get boxes(): LayoutBox[] {
    return this.learner.boxes;
  }

  /** What the recorder masks by this layer now. */
  get masking(): LayoutBox[] {
    return this.enabled ? this.learner.boxes : [];
  }

  /** Called after every change, learned or edited. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Learns from one analysed frame with a full scan; in-body only, since out of the body the picture shows the room. */
  observe(analysis: FrameAnalysis): void {
    // Only full scans: a light one misses small print, which would look like the layout going away.
    if (
      !this.enabled ||
      !analysis.quality.inBody ||
      (analysis.scan !== undefined && analysis.scan !== 'full')
    )
      return;
    const text = analysis.privacyRegions.filter((r) => r.kind === 'text' && r.recognised !== false);
    if (!this.learner.observe(text)) return;
    this.store.save(this.learner.boxes, 'learned', null);
    for (const listener of this.listeners) listener();
  }

  /** Replaces the layout with what a person checked and edited. */
  edit(boxes: LayoutBox[], by: string | null): LayoutBox[] {
    this.learner.replace(boxes);
    this.store.save(this.learner.boxes, 'edited', by);
    for (const listener of this.listeners) listener();
    return this.learner.boxes;
  }
}

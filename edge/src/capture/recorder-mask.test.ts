import type { Box, FrameAnalysis } from '@gic/shared/messages/events.js';
import { describe, expect, it } from 'vitest';
import { RECORDER_DELAY_MS, RecorderMask } from './recorder-mask.js';

const osd = [{ x: 0, y: 0, w: 1, h: 0.1 }];
const full = "<rect x='0' y='0' width='1000' height='1000' fill='black'/>";
/** An octagon-ish picture in the middle of the frame, in its dark border. */
const picture = {
  polygon: [
    { x: 0.3, y: 0.1 },
    { x: 0.7, y: 0.1 },
    { x: 0.85, y: 0.3 },
    { x: 0.85, y: 0.7 },
    { x: 0.7, y: 0.9 },
    { x: 0.3, y: 0.9 },
    { x: 0.15, y: 0.7 },
    { x: 0.15, y: 0.3 },
  ],
  bordered: true,
};

function analysis(
  ptsMs: number,
  inBody: boolean,
  regions: FrameAnalysis['privacyRegions'] = [],
): FrameAnalysis {
  return {
    frameIndex: ptsMs / 100,
    ptsMs,
    width: 1280,
    height: 720,
    quality: { sharpness: 50, brightness: 0.4, blurred: false, exposure: 'ok', inBody },
    fieldOfView: picture,
    privacyRegions: regions,
    detections: [],
    models: [],
    modelsOff: [],
    latencyMs: 1,
  };
}

const textMask = (mode: 'mask-outside' | 'text-only' | 'off', layout: Box[] = []) =>
  new RecorderMask({ mode, configured: [], layout: () => layout, startMasked: false });

describe('RecorderMask', () => {
  it('masks the whole frame until in-body has held longer than the recorder delay', () => {
    const mask = new RecorderMask({ mode: 'text-only', configured: osd, layout: () => [] });
    expect(mask.svg).toContain(full);
    expect(mask.update(analysis(0, true))).toBeUndefined();
    expect(mask.update(analysis(RECORDER_DELAY_MS, true))).toBeUndefined();
    const svg = mask.update(analysis(RECORDER_DELAY_MS + 600, true));
    expect(svg).toBeDefined();
    expect(svg).not.toContain(full);
    expect(svg).toContain("height='100'"); // the configured on-screen display stays masked
  });

  it('masks at once when the scope leaves the body, and an in-body flicker does not unmask', () => {
    const mask = textMask('text-only');
    expect(mask.update(analysis(0, true))).toBeUndefined();
    expect(mask.update(analysis(1000, false))).toContain(full);
    expect(mask.update(analysis(1300, true))).toBeUndefined();
    expect(mask.update(analysis(1600, false))).toBeUndefined();
    expect(mask.update(analysis(2000, true))).toBeUndefined();
    expect(mask.fullFrame).toBe(true);
    expect(mask.update(analysis(2000 + RECORDER_DELAY_MS + 500, true))).not.toContain(full);
    // Analysis lagging the video fails closed the same way.
    expect(mask.failClosed(6000)).toContain(full);
  });

  it('masks everything outside the picture in mask-outside mode, and the whole frame before any picture', () => {
    const before = new RecorderMask({
      mode: 'mask-outside',
      configured: [],
      layout: () => [],
      startMasked: false,
    });
    expect(before.svg).toContain(full);
    const svg = before.update(analysis(0, true))!;
    expect(svg).toContain("fill-rule='evenodd'");
    expect(svg).not.toContain(full);
    expect(before.mask.outside).toBeDefined();
    // Nothing outside the picture in the other modes.
    expect(textMask('text-only').update(analysis(0, true)) ?? textMask('text-only').svg).not.toContain(
      'evenodd',
    );
  });

  it('burns out text lines the analysis masks while they keep being found, never lines the recogniser rejected', () => {
    const mask = textMask('text-only');
    const line = { x: 0.5, y: 0.5, w: 0.2, h: 0.05, kind: 'text' as const };
    const svg = mask.update(analysis(0, true, [line, { ...line, y: 0.2, recognised: false }]))!;
    expect(svg).toMatch(/<rect x='490' y='490' width='2\d\d' height='[67]\d' fill='black'\/>/);
    expect(svg).not.toContain("y='190'");
    expect(mask.update(analysis(400, true, [line]))).toBeUndefined();
    // Outside the body the whole frame is masked, and the text box stays in the mask beneath it.
    expect(mask.update(analysis(800, false))).toContain(full);
    expect(mask.mask.boxes).toHaveLength(1);
  });

  it('masks the layout (learned and configured) and faces, and says how much of the picture is hidden', () => {
    const layout: Box[] = [];
    const mask = new RecorderMask({
      mode: 'mask-outside',
      configured: osd,
      layout: () => layout,
      startMasked: false,
    });
    mask.update(analysis(0, true));
    expect(mask.maskedInPicture(16 / 9)).toBe(0);
    layout.push({ x: 0.4, y: 0.4, w: 0.2, h: 0.2 });
    expect(mask.refresh()).toContain("x='400' y='400'");
    const share = mask.maskedInPicture(16 / 9)!;
    // 0.2 x 0.2 of the frame against a picture of about 0.58 of it.
    expect(share).toBeGreaterThan(0.05);
    expect(share).toBeLessThan(0.09);
    const face = { x: 0.3, y: 0.3, w: 0.1, h: 0.1, kind: 'face' as const };
    expect(mask.update(analysis(100, true, [face]))).toContain("x='300' y='300'");
    // A thumbnail of an in-body frame is masked like the recording, but not whole.
    expect(mask.frameMask(analysis(100, true)).full).toBe(false);
    expect(mask.frameMask(analysis(100, false)).full).toBe(true);
  });
});

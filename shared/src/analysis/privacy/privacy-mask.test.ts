import { describe, expect, it } from 'vitest';
import { type RgbFrame, rgbStride } from '../../media/frame.js';
import { gst, gstQuote } from '../../media/gst.js';
import { burnMask, composeMask, maskedShareOfPicture, maskSvg, type PrivacyMask } from './privacy-mask.js';

const W = 320;
const H = 180;

function white(): RgbFrame {
  const stride = rgbStride(W);
  return { data: new Uint8Array(stride * H).fill(255), width: W, height: H, stride, index: 3, ptsMs: 900 };
}

/** The mask's SVG drawn over a white frame by GStreamer's rsvgoverlay, as the recorder draws it. */
function rendered(svg: string): Promise<RgbFrame> {
  const pipeline = new (gst().Pipeline)(
    [
      'videotestsrc num-buffers=1 pattern=white',
      `video/x-raw,width=${W},height=${H}`,
      'videoconvert',
      `rsvgoverlay fit-to-frame=true data=${gstQuote(svg)}`,
      'videoconvert',
      'video/x-raw,format=RGB',
      'appsink name=sink sync=false',
    ].join(' ! '),
  );
  return new Promise((resolve, reject) => {
    let frame: Buffer | undefined;
    pipeline.pollBus((m) => {
      if (m.type !== 'eos' && m.type !== 'error') return;
      pipeline.stop();
      if (frame) resolve({ data: frame, width: W, height: H, stride: rgbStride(W), index: 0, ptsMs: 0 });
      else reject(new Error(m.message ?? 'no frame'));
    });
    pipeline.play();
    pipeline.findChild('sink')!.pull((buf) => {
      if (buf) frame = Buffer.from(buf);
    });
  });
}

const black = (f: RgbFrame, x: number, y: number) => {
  const p = y * f.stride + x * 3;
  return f.data[p]! < 40 && f.data[p + 1]! < 40 && f.data[p + 2]! < 40;
};

const octagon = [
  { x: 0.35, y: 0.05 },
  { x: 0.65, y: 0.05 },
  { x: 0.8, y: 0.3 },
  { x: 0.8, y: 0.7 },
  { x: 0.65, y: 0.95 },
  { x: 0.35, y: 0.95 },
  { x: 0.2, y: 0.7 },
  { x: 0.2, y: 0.3 },
];

describe('the privacy mask', () => {
  const mask: PrivacyMask = {
    full: false,
    outside: octagon,
    boxes: [
      { x: 0.4, y: 0.4, w: 0.1, h: 0.1 },
      { x: 0.02, y: 0.02, w: 0.1, h: 0.05 },
    ],
  };

  it('burns the same pixels as the recorder draws from its SVG (edges aside)', async () => {
    const burned = burnMask(white(), mask);
    const drawn = await rendered(maskSvg(mask));
    let differ = 0;
    let edges = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if (black(burned, x, y) === black(drawn, x, y)) continue;
        // Antialiased or half-covered pixels at a shape's edge: a neighbour agrees.
        const near = [-1, 0, 1].some((dy) =>
          [-1, 0, 1].some(
            (dx) =>
              y + dy >= 0 &&
              y + dy < H &&
              x + dx >= 0 &&
              x + dx < W &&
              black(drawn, x + dx, y + dy) === black(burned, x, y),
          ),
        );
        if (near) edges++;
        else differ++;
      }
    }
    expect(differ).toBe(0);
    expect(edges).toBeLessThan(0.02 * W * H);
    // Inside the picture and off the boxes: untouched; outside it: black.
    expect(black(burned, 160, 60)).toBe(false);
    expect(black(burned, 5, 90)).toBe(true);
    expect(black(burned, 150, 80)).toBe(true); // the box inside the picture
  });

  it('leaves the frame it was given as it was, and paints the whole of a full mask', () => {
    const frame = white();
    const burned = burnMask(frame, { full: true, boxes: [] });
    expect(frame.data.every((v) => v === 255)).toBe(true);
    expect(black(burned, 0, 0) && black(burned, W - 1, H - 1)).toBe(true);
    expect(burned).toMatchObject({ width: W, height: H, index: 3, ptsMs: 900 });
    expect(maskSvg({ full: true, boxes: [] })).toContain("width='1000' height='1000'");
    expect(maskSvg({ full: false, boxes: [] })).not.toContain('<rect');
  });

  it('composes the layers by mode, masking the whole frame before any picture has been seen', () => {
    const layers = { full: false, layout: [{ x: 0, y: 0, w: 1, h: 0.1 }], regions: [] };
    expect(composeMask({ ...layers, mode: 'mask-outside' })).toEqual({ full: true, boxes: layers.layout });
    expect(composeMask({ ...layers, mode: 'mask-outside', fieldOfView: octagon }).outside).toBe(octagon);
    expect(composeMask({ ...layers, mode: 'text-only', fieldOfView: octagon }).outside).toBeUndefined();
    expect(composeMask({ ...layers, mode: 'off', fieldOfView: octagon })).toEqual({
      full: false,
      boxes: layers.layout,
    });
  });

  it('measures the share of the picture the mask hides', () => {
    const picture = octagon;
    expect(maskedShareOfPicture({ full: false, outside: picture, boxes: [] }, picture, W / H)).toBeLessThan(
      0.01,
    );
    const share = maskedShareOfPicture(
      { full: false, boxes: [{ x: 0.4, y: 0.4, w: 0.2, h: 0.2 }] },
      picture,
      W / H,
    );
    // 0.04 of the frame against a picture of 0.525 of it.
    expect(share).toBeGreaterThan(0.07);
    expect(share).toBeLessThan(0.09); // every raster cell a box touches counts
    expect(maskedShareOfPicture({ full: true, boxes: [] }, picture, W / H)).toBe(1);
  });
});

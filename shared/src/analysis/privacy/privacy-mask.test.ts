import { describe, expect, it } from 'vitest';
import { type I420Frame, i420Layout, type RgbFrame, rgbStride } from '../../media/frame.js';
import { gst, gstQuote } from '../../media/gst.js';
import { I420ToRgb } from '../../media/i420-to-rgb.js';
import {
  burnMask,
  burnMaskI420InPlace,
  composeMask,
  isFullRange,
  maskedShareOfPicture,
  maskSvg,
  type PrivacyMask,
} from './privacy-mask.js';

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

/** One colourful I420 frame from GStreamer (SMPTE bars, odd size so chroma rounds up), with its caps' colorimetry. */
function bars(width: number, height: number, colorimetry: string): Promise<I420Frame> {
  const pipeline = new (gst().Pipeline)(
    [
      'videotestsrc num-buffers=1 pattern=smpte',
      `video/x-raw,format=I420,width=${width},height=${height},colorimetry=${colorimetry}`,
      'appsink name=sink sync=false',
    ].join(' ! '),
  );
  return new Promise((resolve, reject) => {
    pipeline.play();
    pipeline.findChild('sink')!.pull((buf, caps) => {
      pipeline.stop();
      if (!buf) reject(new Error('no frame'));
      else
        resolve({
          format: 'I420',
          data: Buffer.from(buf),
          width,
          height,
          index: 0,
          ptsMs: 0,
          colorimetry: String(caps?.colorimetry),
        });
    });
  });
}

describe("the privacy mask burned into I420 (the hub's de-identified copies)", () => {
  const mask: PrivacyMask = {
    full: false,
    outside: octagon,
    boxes: [
      { x: 0.403, y: 0.401, w: 0.1, h: 0.1 },
      { x: 0.021, y: 0.023, w: 0.1, h: 0.05 },
    ],
  };

  for (const colorimetry of ['bt709', 'jpeg']) {
    it(`blanks, as GStreamer converts it to RGB, exactly the pixels burnMask blanks, with no colour left (${colorimetry})`, async () => {
      const W1 = 321;
      const H1 = 181;
      const frame = await bars(W1, H1, colorimetry);
      const rgb = new I420ToRgb();
      try {
        const before = await rgb.convert({ ...frame, data: Buffer.from(frame.data) });
        const expected = burnMask(before, mask);
        burnMaskI420InPlace(frame, mask);
        const burned = await rgb.convert(frame);
        let blanked = 0;
        let kept = 0;
        for (let y = 0; y < H1; y++) {
          for (let x = 0; x < W1; x++) {
            const p = y * burned.stride + x * 3;
            const [r, g, b] = [burned.data[p]!, burned.data[p + 1]!, burned.data[p + 2]!];
            if (black(expected, x, y) && before.data.subarray(p, p + 3).some((v) => v > 40)) {
              // Black, and grey: neither the luma nor the colour of a masked pixel is left.
              expect(Math.max(r, g, b), `(${x}, ${y})`).toBeLessThanOrEqual(3);
              blanked++;
            } else if (!black(expected, x, y)) {
              // Further than a chroma sample from any masked pixel: untouched.
              const nearMask = [-2, -1, 0, 1, 2].some((dy) =>
                [-2, -1, 0, 1, 2].some((dx) => {
                  const yy = y + dy;
                  const xx = x + dx;
                  return (
                    yy >= 0 &&
                    yy < H1 &&
                    xx >= 0 &&
                    xx < W1 &&
                    black(expected, xx, yy) &&
                    !black(before, xx, yy)
                  );
                }),
              );
              if (nearMask) continue;
              expect([...burned.data.subarray(p, p + 3)], `(${x}, ${y})`).toEqual([
                ...before.data.subarray(p, p + 3),
              ]);
              kept++;
            }
          }
        }
        expect(blanked).toBeGreaterThan(0.3 * W1 * H1);
        expect(kept).toBeGreaterThan(0.3 * W1 * H1);
      } finally {
        rgb.close();
      }
    });
  }

  it("uses the black of the frame's range, blanks chroma where any of its pixels is masked, and refuses a short buffer", () => {
    const width = 9;
    const height = 5;
    const layout = i420Layout(width, height);
    const frame = (colorimetry?: string): I420Frame => ({
      format: 'I420',
      data: new Uint8Array(layout.size).fill(200),
      width,
      height,
      index: 0,
      ptsMs: 0,
      ...(colorimetry ? { colorimetry } : {}),
    });
    // Pixel (3, 1) alone: luma there, and the chroma sample (1, 0) that colours pixels 2..3 of rows 0..1.
    const one = { full: false, boxes: [{ x: 3 / width, y: 1 / height, w: 1 / width, h: 1 / height }] };
    const video = frame('bt709');
    burnMaskI420InPlace(video, one);
    const lumaBlack = [...video.data.subarray(0, layout.yStride * height).entries()].filter(
      ([, v]) => v !== 200,
    );
    expect(lumaBlack).toEqual([[1 * layout.yStride + 3, 16]]);
    const u = video.data.subarray(layout.uOffset, layout.vOffset);
    const v = video.data.subarray(layout.vOffset, layout.size);
    expect([...u.entries()].filter(([, x]) => x !== 200)).toEqual([[1, 128]]);
    expect([...v.entries()].filter(([, x]) => x !== 200)).toEqual([[1, 128]]);
    const full = frame('jpeg');
    burnMaskI420InPlace(full, { full: true, boxes: [] });
    expect(
      full.data.subarray(0, layout.yStride * height).every((x, i) => i % layout.yStride >= width || x === 0),
    ).toBe(true);
    expect(isFullRange('1:4:0:0')).toBe(true);
    expect(isFullRange('2:4:5:4')).toBe(false);
    expect(isFullRange(undefined)).toBe(false);
    expect(() => burnMaskI420InPlace({ ...frame(), data: new Uint8Array(10) }, one)).toThrow(
      /cannot hold 9x5 I420/,
    );
  });
});

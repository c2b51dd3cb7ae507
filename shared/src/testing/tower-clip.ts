/**
 * Tower-style clips generated in code, for the privacy tests and bench: an endoscope's picture (round,
 * octagonal or rectangular, any aspect) in a black border, with on-screen-display text in real fonts
 * (Pango through GStreamer), over a textured reddish "mucosa" with folds, vessels, a dark lumen and
 * specular highlights, or a room scene. Nothing here is a real patient image.
 */
import { mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { type RgbFrame, rgbStride } from '../media/frame.js';
import { gst, gstErrorText, gstQuote } from '../media/gst.js';
import type { Box } from '../messages/events.js';
import { renderText } from './text-render.js';
import { paint, paste, roomColour } from './tower-paint.js';

export type PictureShape = 'round' | 'octagon' | 'rect' | 'none';

export interface TowerPicture {
  /** `none`: the scene fills the frame (a camera, not a tower). */
  shape: PictureShape;
  /** Width over height of the picture's bounding box. */
  aspect: number;
  /** Picture height as a share of the frame height. */
  heightShare: number;
  /** Picture centre as a share of the frame width. */
  centreX: number;
}

export type TextStyle = 'white-on-black' | 'black-on-white' | 'shaded' | 'plain';

export interface OsdText {
  /** What it says; a function of the clip time (s) for a running clock. Lines split on \n. */
  text: string | ((seconds: number) => string);
  font: string;
  sizePx: number;
  /** Top left of the text's ink (px). */
  x: number;
  y: number;
  style: TextStyle;
  /** Text colour (plain and shaded styles). */
  colour?: [number, number, number];
  /** Hidden at these clip times (s): a banner that blinks. */
  hidden?: (seconds: number) => boolean;
}

export type Scene = 'mucosa' | 'room' | 'skin' | 'warm-wall' | 'curtain';

export interface SceneSpan {
  fromS: number;
  toS: number;
  scene: Scene;
}

export interface FaceOverlay {
  image: RgbFrame;
  /** Where it goes (normalised to the frame). */
  box: Box;
  fromS: number;
  toS: number;
}

export interface TowerClipOptions {
  width: number;
  height: number;
  fps: number;
  seconds: number;
  picture: TowerPicture;
  texts: OsdText[];
  /** The scene over time; mucosa throughout when absent. */
  scenes?: SceneSpan[];
  faces?: FaceOverlay[];
  seed?: number;
}

/** A small seeded generator (mulberry32), so that a clip is the same every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Smooth value noise 0..1 of a `w` x `h` field, summed over octaves from `cell` px down. */
function valueNoise(w: number, h: number, cell: number, octaves: number, rnd: () => number): Float32Array {
  const out = new Float32Array(w * h);
  let amplitude = 1;
  let total = 0;
  for (let o = 0; o < octaves; o++, cell /= 2, amplitude /= 2) {
    const c = Math.max(2, cell);
    const gw = Math.ceil(w / c) + 2;
    const gh = Math.ceil(h / c) + 2;
    const grid = new Float32Array(gw * gh).map(() => rnd());
    for (let y = 0; y < h; y++) {
      const fy = y / c;
      const y0 = Math.floor(fy);
      const ty = fy - y0;
      const sy = ty * ty * (3 - 2 * ty);
      for (let x = 0; x < w; x++) {
        const fx = x / c;
        const x0 = Math.floor(fx);
        const tx = fx - x0;
        const sx = tx * tx * (3 - 2 * tx);
        const a = grid[y0 * gw + x0]!;
        const b = grid[y0 * gw + x0 + 1]!;
        const cc = grid[(y0 + 1) * gw + x0]!;
        const d = grid[(y0 + 1) * gw + x0 + 1]!;
        out[y * w + x]! += amplitude * ((a * (1 - sx) + b * sx) * (1 - sy) + (cc * (1 - sx) + d * sx) * sy);
      }
    }
    total += amplitude;
  }
  for (let i = 0; i < out.length; i++) out[i]! /= total;
  return out;
}

/** Which frame pixels belong to the picture (1) and which to the black border (0). */
function pictureMask(width: number, height: number, p: TowerPicture): Uint8Array {
  const mask = new Uint8Array(width * height);
  if (p.shape === 'none') return mask.fill(1);
  const ph = p.heightShare * height;
  const pw = ph * p.aspect;
  const cx = p.centreX * width;
  const cy = height / 2;
  const cut = 0.29 * Math.min(pw, ph); // octagon corner cut (px each way)
  for (let y = 0; y < height; y++) {
    const dy = Math.abs(y + 0.5 - cy);
    for (let x = 0; x < width; x++) {
      const dx = Math.abs(x + 0.5 - cx);
      let inside = dx <= pw / 2 && dy <= ph / 2;
      if (inside && p.shape === 'round') inside = (dx / (pw / 2)) ** 2 + (dy / (ph / 2)) ** 2 <= 1;
      if (inside && p.shape === 'octagon') inside = dx + dy <= pw / 2 + ph / 2 - cut;
      mask[y * width + x] = inside ? 1 : 0;
    }
  }
  return mask;
}

interface Spot {
  x: number;
  y: number;
  r: number;
  phase: number;
}

interface Stroke {
  /** Frame px. */
  x: number;
  y: number;
  len: number;
  angle: number;
  thick: number;
  phase: number;
}

/**
 * Renders the clip's frames one by one (packed RGB at the clip size), for writing or for analysing
 * directly. Frame i shows clip time i / fps.
 */
export async function* towerFrames(o: TowerClipOptions): AsyncGenerator<RgbFrame> {
  const { width: W, height: H, fps } = o;
  const rnd = random(o.seed ?? 7);
  const stride = rgbStride(W);
  const mask = pictureMask(W, H, o.picture);
  // A mucosa texture larger than the frame, so that the view can drift over it.
  const pad = 120;
  const TW = W + 2 * pad;
  const TH = H + 2 * pad;
  const base = valueNoise(TW, TH, Math.max(W, H) / 6, 5, rnd);
  const fine = valueNoise(TW, TH, 24, 3, rnd);
  const vessels = new Float32Array(TW * TH);
  for (let v = 0; v < 14; v++) {
    let x = rnd() * TW;
    let y = rnd() * TH;
    let angle = rnd() * Math.PI * 2;
    const thickness = 0.8 + rnd() * 1.8;
    for (let s = 0; s < 900; s++) {
      angle += (rnd() - 0.5) * 0.35;
      x += Math.cos(angle) * 1.5;
      y += Math.sin(angle) * 1.5;
      for (let dy = -3; dy <= 3; dy++)
        for (let dx = -3; dx <= 3; dx++) {
          const d = Math.hypot(dx, dy);
          const px = Math.round(x + dx);
          const py = Math.round(y + dy);
          if (px < 0 || py < 0 || px >= TW || py >= TH || d > thickness + 1) continue;
          const i = py * TW + px;
          vessels[i] = Math.max(vessels[i]!, Math.min(1, thickness + 1 - d));
        }
    }
  }
  const spots: Spot[] = Array.from({ length: 22 }, () => ({
    x: rnd(),
    y: rnd(),
    r: 2 + rnd() * 9,
    phase: rnd() * Math.PI * 2,
  }));
  // Glints along fold ridges: rows of short bright strokes, the highlights a text detector takes for print.
  const strokes: Stroke[] = [];
  for (let row = 0; row < 9; row++) {
    let x = o.picture.centreX * W + (rnd() - 0.6) * 0.5 * H;
    const y = H * (0.2 + 0.6 * rnd());
    const phase = rnd() * Math.PI * 2;
    const count = 6 + Math.floor(rnd() * 9);
    for (let k = 0; k < count; k++) {
      strokes.push({
        x,
        y: y + (rnd() - 0.5) * 4,
        len: 7 + rnd() * 7,
        angle: rnd() * Math.PI,
        thick: 1.2 + rnd(),
        phase,
      });
      x += 11 + rnd() * 7;
    }
  }
  const texts = await Promise.all(
    o.texts.map(async (t) => ({
      t,
      fixed: typeof t.text === 'string' ? await renderText(t.text, t.font, t.sizePx) : undefined,
    })),
  );
  const frames = Math.round(o.seconds * fps);
  for (let i = 0; i < frames; i++) {
    const t = i / fps;
    const data = new Uint8Array(stride * H);
    const scene = o.scenes?.find((s) => t >= s.fromS && t < s.toS)?.scene ?? 'mucosa';
    const ox = Math.round(pad + 60 * Math.sin(t * 0.7));
    const oy = Math.round(pad + 45 * Math.cos(t * 0.5));
    // The lumen: a dark region drifting about the picture.
    const lx = W * (o.picture.centreX + 0.12 * Math.sin(t * 0.4));
    const ly = H * (0.5 + 0.15 * Math.cos(t * 0.3));
    const lr = 0.16 * H;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const p = y * stride + x * 3;
        if (!mask[y * W + x]) continue; // the border stays black
        const ti = (y + oy) * TW + (x + ox);
        let r: number;
        let g: number;
        let b: number;
        if (scene === 'mucosa') {
          const n = base[ti]!;
          const f = fine[ti]!;
          const fold = 0.5 + 0.5 * Math.sin((x + ox) / 37 + 3 * n);
          r = 120 + 110 * n + 25 * f - 25 * fold;
          g = 38 + 55 * n + 15 * f - 12 * fold;
          b = 40 + 45 * n + 12 * f - 10 * fold;
          const v = vessels[ti]!;
          r -= 45 * v;
          g -= 22 * v;
          b -= 12 * v;
          const d = Math.hypot(x - lx, y - ly) / lr;
          const dark = d < 1 ? 0.12 + 0.88 * d * d : 1;
          r *= dark;
          g *= dark;
          b *= dark;
        } else {
          [r, g, b] = roomColour(scene, x / W, y / H, base[ti]!, fine[ti]!);
        }
        data[p] = Math.max(0, Math.min(255, r));
        data[p + 1] = Math.max(0, Math.min(255, g));
        data[p + 2] = Math.max(0, Math.min(255, b));
      }
    }
    if (scene === 'mucosa') {
      // Specular highlights: white, sharp-edged glints on the wet surface, moving with the view.
      for (const s of spots) {
        const cx = (s.x * W + 8 * Math.sin(t * 1.3 + s.phase) + W) % W;
        const cy = (s.y * H + 6 * Math.cos(t * 1.1 + s.phase) + H) % H;
        const r = s.r * (0.8 + 0.3 * Math.sin(t * 2 + s.phase));
        for (let y = Math.max(0, Math.floor(cy - 2 * r)); y < Math.min(H, cy + 2 * r); y++) {
          for (let x = Math.max(0, Math.floor(cx - 3 * r)); x < Math.min(W, cx + 3 * r); x++) {
            if (!mask[y * W + x]) continue;
            // Elongated glints, as on folds.
            const d = Math.hypot((x - cx) / 1.6, y - cy) / r;
            if (d > 1.6) continue;
            const a = d < 1 ? 1 : (1.6 - d) / 0.6;
            const p = y * stride + x * 3;
            for (let c = 0; c < 3; c++) data[p + c] = data[p + c]! + (255 - data[p + c]!) * a;
          }
        }
      }
    }
    if (scene === 'mucosa') {
      for (const s of strokes) {
        const cx = s.x + 8 * Math.sin(t * 0.9 + s.phase);
        const cy = s.y + 5 * Math.cos(t * 0.8 + s.phase);
        const dx = Math.cos(s.angle);
        const dy = Math.sin(s.angle);
        for (let y = Math.floor(cy - s.len); y <= cy + s.len; y++) {
          for (let x = Math.floor(cx - s.len); x <= cx + s.len; x++) {
            if (x < 0 || y < 0 || x >= W || y >= H || !mask[y * W + x]) continue;
            const along = (x - cx) * dx + (y - cy) * dy;
            const across = Math.abs(-(x - cx) * dy + (y - cy) * dx);
            if (Math.abs(along) > s.len / 2 || across > s.thick) continue;
            const p = y * stride + x * 3;
            data[p] = data[p + 1] = data[p + 2] = 255;
          }
        }
      }
    }
    for (const f of o.faces ?? [])
      if (t >= f.fromS && t < f.toS) paste(data, stride, W, H, f.image, f.box, mask);
    for (const { t: osd, fixed } of texts) {
      if (osd.hidden?.(t)) continue;
      const rendered =
        fixed ?? (await renderText((osd.text as (s: number) => string)(t), osd.font, osd.sizePx));
      paint(data, stride, W, H, osd, rendered);
    }
    yield { data, width: W, height: H, stride, index: i, ptsMs: Math.round((i * 1000) / fps) };
  }
}

/**
 * Writes the clip as H.264 in MP4 (no audio), through a temporary name so a cut run never leaves a
 * half file under the real one. Returns the number of frames.
 */
export async function writeTowerClip(path: string, o: TowerClipOptions): Promise<number> {
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.partial`;
  const pipeline = new (gst().Pipeline)(
    [
      `appsrc name=src format=time block=true max-bytes=${rgbStride(o.width) * o.height * 4} caps=${gstQuote(`video/x-raw,format=RGB,width=${o.width},height=${o.height},framerate=${o.fps}/1,pixel-aspect-ratio=1/1`)}`,
      'videoconvert',
      'video/x-raw,format=I420',
      `x264enc speed-preset=ultrafast key-int-max=${o.fps}`,
      'h264parse',
      'mp4mux',
      `filesink location=${gstQuote(partial)}`,
    ].join(' ! '),
  );
  const done = new Promise<void>((resolve, reject) => {
    pipeline.pollBus((m) => {
      if (m.type === 'eos' || m.type === 'error') {
        pipeline.stop();
        if (m.type === 'error') reject(new Error(`tower clip: ${gstErrorText(m)}`));
        else resolve();
      }
    });
  });
  pipeline.play();
  const src = pipeline.findChild('src')!;
  let n = 0;
  for await (const frame of towerFrames(o)) {
    src.push(Buffer.from(frame.data), Math.round((frame.index * 1e9) / o.fps));
    n++;
  }
  pipeline.sendEOS();
  await done;
  renameSync(partial, path);
  return n;
}

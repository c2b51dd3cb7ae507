import { rgbStride } from '../media/frame.js';
import { gst, gstQuote } from '../media/gst.js';

/** Text rendered once by GStreamer (Pango), as a coverage mask to paint in any colour. */
export interface RenderedText {
  width: number;
  height: number;
  /** Coverage 0..255 a pixel, row by row. */
  alpha: Uint8Array;
}

const cache = new Map<string, RenderedText>();

/** Grabs one frame from a pipeline ending in `appsink name=sink`; stopped inside its bus callback. */
function grab(description: string): Promise<Buffer> {
  const pipeline = new (gst().Pipeline)(description);
  return new Promise((resolve, reject) => {
    let frame: Buffer | undefined;
    pipeline.pollBus((m) => {
      if (m.type === 'eos' || m.type === 'error') {
        pipeline.stop();
        if (m.type === 'error') reject(new Error(`text render failed: ${m.message ?? 'error'}`));
        else if (frame) resolve(frame);
        else reject(new Error('text render gave no frame'));
      }
    });
    pipeline.play();
    pipeline.findChild('sink')!.pull((buf) => {
      if (buf) frame = Buffer.from(buf);
    });
  });
}

/**
 * Renders `text` (lines split on \n) in a Pango font (`DejaVu Sans Bold`, `Liberation Mono`, ...) at
 * `sizePx` pixels with GStreamer's textoverlay, trimmed to its ink plus 2 px: how a tower's on-screen
 * display would draw it.
 */
export async function renderText(text: string, font: string, sizePx: number): Promise<RenderedText> {
  const key = `${font}|${sizePx}|${text}`;
  const known = cache.get(key);
  if (known) return known;
  const lines = text.split('\n');
  const W = Math.min(4096, Math.ceil(Math.max(...lines.map((l) => l.length)) * sizePx * 0.9 + 4 * sizePx));
  const H = Math.ceil(lines.length * sizePx * 1.6 + 2 * sizePx);
  const stride = rgbStride(W);
  // The appsink's frame and the end of stream race: now and then the pipeline ends first; try again.
  const render = () =>
    grab(
      [
        'videotestsrc num-buffers=1 pattern=black',
        `video/x-raw,width=${W},height=${H}`,
        `textoverlay text=${gstQuote(text)} font-desc=${gstQuote(`${font} ${sizePx}px`)} halignment=left valignment=top line-alignment=left xpad=${sizePx} ypad=${sizePx} auto-resize=false draw-shadow=false draw-outline=false color=0xffffffff`,
        'videoconvert',
        'video/x-raw,format=RGB',
        'appsink name=sink sync=false',
      ].join(' ! '),
    );
  const buf = await render()
    .catch(() => render())
    .catch(() => render());
  let [x0, y0, x1, y1] = [W, H, -1, -1];
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (buf[y * stride + x * 3 + 1]! > 16) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) throw new Error(`text ${JSON.stringify(text)} rendered no ink`);
  x0 = Math.max(0, x0 - 2);
  y0 = Math.max(0, y0 - 2);
  x1 = Math.min(W - 1, x1 + 2);
  y1 = Math.min(H - 1, y1 + 2);
  const width = x1 - x0 + 1;
  const height = y1 - y0 + 1;
  const alpha = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) alpha[y * width + x] = buf[(y + y0) * stride + (x + x0) * 3 + 1]!;
  const rendered = { width, height, alpha };
  cache.set(key, rendered);
  return rendered;
}

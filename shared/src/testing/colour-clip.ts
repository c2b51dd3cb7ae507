import { mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { rgbStride } from '../media/frame.js';
import { gst, gstErrorText, gstQuote } from '../media/gst.js';

export type Rgb = readonly [number, number, number];

/** Distinct colours, one per second of a colour clip: far apart after H.264 and scaling. */
export const CLIP_COLOURS: readonly Rgb[] = [
  [220, 30, 30],
  [30, 200, 40],
  [30, 40, 220],
  [230, 220, 30],
  [30, 210, 220],
  [220, 40, 210],
];

/**
 * Writes a clip whose whole picture is one colour per second (`colours[i]` from i s to i+1 s), so
 * the colour of a frame says its time: H.264 with a key frame every 2 s, in fragmented MP4, as the
 * edge's recorder writes its segments. Through a temporary name, so a cut run leaves no half file.
 */
export async function writeColourClip(
  path: string,
  colours: readonly Rgb[],
  o: { width: number; height: number; fps: number } = { width: 320, height: 240, fps: 10 },
): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.partial`;
  const stride = rgbStride(o.width);
  const pipeline = new (gst().Pipeline)(
    [
      `appsrc name=src format=time block=true max-bytes=${stride * o.height * 4} caps=${gstQuote(`video/x-raw,format=RGB,width=${o.width},height=${o.height},framerate=${o.fps}/1,pixel-aspect-ratio=1/1`)}`,
      'videoconvert',
      'video/x-raw,format=I420',
      `x264enc speed-preset=ultrafast key-int-max=${o.fps * 2}`,
      'h264parse',
      'mp4mux fragment-duration=1000',
      `filesink location=${gstQuote(partial)}`,
    ].join(' ! '),
  );
  const done = new Promise<void>((resolve, reject) => {
    pipeline.pollBus((m) => {
      if (m.type === 'eos' || m.type === 'error') {
        pipeline.stop();
        if (m.type === 'error') reject(new Error(`colour clip: ${gstErrorText(m)}`));
        else resolve();
      }
    });
  });
  pipeline.play();
  const src = pipeline.findChild('src')!;
  let index = 0;
  for (const [r, g, b] of colours) {
    const frame = Buffer.alloc(stride * o.height);
    for (let y = 0; y < o.height; y++)
      for (let x = 0; x < o.width; x++) frame.set([r, g, b], y * stride + x * 3);
    for (let i = 0; i < o.fps; i++, index++) src.push(frame, Math.round((index * 1e9) / o.fps));
  }
  pipeline.sendEOS();
  await done;
  renameSync(partial, path);
}

/** The mean colour of a packed RGB picture's centre (its middle half each way). */
export function centreColour(frame: {
  data: Uint8Array;
  width: number;
  height: number;
  stride?: number;
}): Rgb {
  const stride = frame.stride ?? rgbStride(frame.width);
  const sum = [0, 0, 0];
  let n = 0;
  for (let y = Math.floor(frame.height / 4); y < (frame.height * 3) / 4; y++)
    for (let x = Math.floor(frame.width / 4); x < (frame.width * 3) / 4; x++, n++)
      for (let c = 0; c < 3; c++) sum[c]! += frame.data[y * stride + x * 3 + c]!;
  return [sum[0]! / n, sum[1]! / n, sum[2]! / n];
}

/** The index of the colour nearest `rgb` (the clip's second a frame of it shows). */
export function nearestColour(rgb: Rgb, colours: readonly Rgb[] = CLIP_COLOURS): number {
  let best = 0;
  let bestD = Number.POSITIVE_INFINITY;
  colours.forEach((c, i) => {
    const d = (c[0] - rgb[0]) ** 2 + (c[1] - rgb[1]) ** 2 + (c[2] - rgb[2]) ** 2;
    if (d < bestD) [best, bestD] = [i, d];
  });
  return best;
}

import { gst, gstErrorText, gstQuote, runToEos } from '@gic/shared/media/gst.js';

/**
 * Clips and checks for capture tests: real GStreamer files (MPEG-TS, which a tower or a capture
 * card's recorder would give) and a decoder that reads back what a recording holds.
 */

/** Writes an H.264 MPEG-TS clip of a moving test pattern with a burned-in label. */
export function writeTsClip(
  path: string,
  o: { seconds: number; width: number; height: number; fps?: number; label?: string },
): Promise<void> {
  const fps = o.fps ?? 30;
  return runToEos(
    [
      `videotestsrc pattern=ball motion=wavy background-color=0xff7a1f1f num-buffers=${o.seconds * fps}`,
      `video/x-raw,width=${o.width},height=${o.height},framerate=${fps}/1`,
      `textoverlay text=${gstQuote(o.label ?? `${o.width}x${o.height}`)} valignment=top halignment=left`,
      'videoconvert',
      'video/x-raw,format=I420',
      `x264enc speed-preset=ultrafast key-int-max=${fps}`,
      'h264parse',
      'mpegtsmux',
      `filesink location=${gstQuote(path)}`,
    ].join(' ! '),
  );
}

export interface Probed {
  /** Every distinct decoded size, in order of appearance, as `WxH`. */
  sizes: string[];
  frames: number;
  /** Time of the last frame (ms) plus one frame: what the file plays for. */
  durationMs: number;
  /** The first decoded frame as packed RGB (rows `stride` bytes apart). */
  first?: { data: Buffer; width: number; height: number; stride: number };
}

/** Decodes a whole file at its own size and rate; rejects with the element and reason on error. */
export function probeVideo(path: string, timeoutMs = 30_000): Promise<Probed> {
  const pipeline = new (gst().Pipeline)(
    `filesrc location=${gstQuote(path)} ! decodebin ! videoconvert ! video/x-raw,format=RGB ! appsink name=sink sync=false`,
  );
  const sink = pipeline.findChild('sink')!;
  const probed: Probed = { sizes: [], frames: 0, durationMs: 0 };
  let fps = 30;
  return new Promise<Probed>((resolve, reject) => {
    let failure: string | undefined;
    const timer = setTimeout(() => {
      failure = `no end of stream within ${timeoutMs} ms`;
      reject(new Error(`cannot decode ${path}: ${failure}`));
    }, timeoutMs);
    pipeline.pollBus((m) => {
      if (m.type === 'error') failure = gstErrorText(m);
      if (m.type === 'error' || m.type === 'eos') pipeline.stop();
    });
    const pull = () =>
      sink.pull((buf, caps) => {
        if (failure || !buf) {
          clearTimeout(timer);
          probed.durationMs = Math.round((probed.frames * 1000) / fps);
          if (failure) reject(new Error(`cannot decode ${path}: ${failure}`));
          else resolve(probed);
          return;
        }
        const width = Number(caps?.width);
        const height = Number(caps?.height);
        const [num, den] = String(caps?.framerate ?? '30/1')
          .split('/')
          .map(Number);
        if (num && den) fps = num / den;
        const size = `${width}x${height}`;
        if (probed.sizes.at(-1) !== size) probed.sizes.push(size);
        probed.first ??= { data: Buffer.from(buf), width, height, stride: Math.ceil((width * 3) / 4) * 4 };
        probed.frames++;
        pull();
      });
    pipeline.play();
    pull();
  });
}

/** Mean luma (0..255) of the rows from `fromY` to `toY` (fractions of the height). */
export function bandLuma(
  frame: { data: Uint8Array; width: number; height: number; stride: number },
  fromY: number,
  toY: number,
): number {
  let sum = 0;
  let n = 0;
  for (let y = Math.floor(fromY * frame.height); y < Math.floor(toY * frame.height); y++) {
    for (let x = 0; x < frame.width; x++) {
      const p = y * frame.stride + x * 3;
      sum += 0.299 * frame.data[p]! + 0.587 * frame.data[p + 1]! + 0.114 * frame.data[p + 2]!;
      n++;
    }
  }
  return n ? sum / n : 0;
}

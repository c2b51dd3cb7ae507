import { type RgbFrame, rgbStride } from './frame.js';
import { gst, gstErrorText, gstQuote } from './gst.js';

/** A video's frame at a position could not be read, with the reason. */
export class FrameAtError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameAtError';
  }
}

/**
 * Decodes the one frame of a video file shown at `positionMs` from its start: GStreamer seeks there
 * (to the exact frame, not the key frame before it) and the frame comes out as packed RGB scaled to
 * `width` x `height`, as decodeImage scales a still. A file, not a URL: the recorder's fragmented MP4
 * has no index a pushed (HTTP) stream could seek by, while a file is read where the demuxer asks.
 * Rejects with FrameAtError when the video cannot be read, cannot seek, has no frame there, or all
 * that takes longer than `timeoutMs`; the pipeline is torn down in every case.
 */
export function readFrameAt(
  path: string,
  positionMs: number,
  size: { width: number; height: number },
  timeoutMs = 10_000,
): Promise<RgbFrame> {
  if (!Number.isFinite(positionMs) || positionMs < 0)
    return Promise.reject(new FrameAtError(`no frame at ${positionMs} ms: a position is 0 ms or more`));
  const { width, height } = size;
  const pipeline = new (gst().Pipeline)(
    [
      `filesrc location=${gstQuote(path)}`,
      'decodebin',
      'videoconvert',
      'videoscale',
      `video/x-raw,format=RGB,width=${width},height=${height},pixel-aspect-ratio=1/1`,
      'appsink name=sink sync=false max-buffers=1',
    ].join(' ! '),
  );
  return new Promise<RgbFrame>((resolve, reject) => {
    let settled = false;
    const settle = (err: Error | undefined, data?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      pipeline.stop();
      if (err) reject(err);
      else resolve({ data: data!, width, height, stride: rgbStride(width), index: 0, ptsMs: positionMs });
    };
    const fail = (why: string) => settle(new FrameAtError(`no frame at ${positionMs} ms of ${path}: ${why}`));
    const timer = setTimeout(() => fail(`not read within ${timeoutMs} ms`), timeoutMs);
    pipeline.pollBus((m) => {
      if (m.type === 'error') fail(gstErrorText(m));
      else if (m.type === 'application' && m.name === 'gic-seek') {
        if (m.ok !== true) {
          fail(typeof m.reason === 'string' && m.reason ? m.reason : 'it cannot seek');
          return;
        }
        // The first frame after an accurate seek is the one shown at the position (or end of stream past the end).
        pipeline.play();
        pipeline.findChild('sink')?.pull((buf) => {
          if (buf) settle(undefined, buf);
          else fail('the video ends before it');
        });
      }
    });
    if (pipeline.pause() === 'failure') {
      fail('the pipeline did not start');
      return;
    }
    pipeline.seek(positionMs, timeoutMs);
  });
}

import { type I420Frame, i420Layout, type RgbFrame, rgbStride } from './frame.js';
import { type GstPipeline, gst, gstQuote } from './gst.js';

/** How long one frame's conversion may take before the converter gives up on it (ms). */
const CONVERT_TIMEOUT_MS = 10_000;

/**
 * Converts I420 frames to packed RGB with GStreamer's own `videoconvert` (the conversion every other
 * reader gets inside its pipeline: the same matrix, the same rounding), one frame at a time through
 * one long-lived `appsrc ! videoconvert ! appsink` pipeline. The conversion itself runs on
 * GStreamer's streaming thread, not the event loop. A new size or colorimetry builds a new pipeline.
 * Conversions asked for while one runs wait their turn.
 */
export class I420ToRgb {
  private pipeline: GstPipeline | undefined;
  private caps = '';
  private failure: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  /**
   * The frame's pixels as an RGB frame, with the frame's index and time: in `into` when given and of
   * the right size (packed rows, `rgbStride(width) * height` bytes), else in a buffer of its own. The
   * converter copies the frame's pixels before the promise settles: the caller may then reuse them.
   */
  convert(frame: I420Frame, into?: Buffer): Promise<RgbFrame> {
    const next = this.queue.then(() => this.convertNow(frame, into));
    this.queue = next.catch(() => {});
    return next;
  }

  /** Ends the pipeline; a conversion asked for later fails. */
  close(): void {
    this.closed = true;
    this.pipeline?.stop();
    this.pipeline = undefined;
  }

  private async convertNow(frame: I420Frame, into: Buffer | undefined): Promise<RgbFrame> {
    if (this.closed) throw new Error('the I420 to RGB converter is closed');
    const { width, height, data, index } = frame;
    const expected = i420Layout(width, height).size;
    if (
      !Number.isInteger(width) ||
      !Number.isInteger(height) ||
      width < 1 ||
      height < 1 ||
      data.length !== expected
    )
      throw new RangeError(
        `frame ${index}: ${data.length} bytes is not ${width}x${height} I420 (${expected} bytes)`,
      );
    const pipeline = this.pipelineFor(frame);
    const src = pipeline.findChild('src')!;
    const sink = pipeline.findChild('sink')!;
    const input = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const flow = src.push(input, Math.round(frame.ptsMs * 1e6));
    if (flow !== 'ok') throw this.fail(`the converter refused the frame (${flow})`);
    const out = await new Promise<Buffer | null>((resolve) => {
      const done = (buf: Buffer | null) => {
        clearTimeout(timer);
        clearInterval(watch);
        resolve(buf);
      };
      const timer = setTimeout(() => {
        this.failure ??= `no picture within ${CONVERT_TIMEOUT_MS} ms`;
        done(null);
      }, CONVERT_TIMEOUT_MS);
      // The appsink hands nothing after an error: the bus is watched too.
      const watch = setInterval(() => this.failure && done(null), 100);
      sink.pull((buf) => done(buf), into?.length === rgbStride(width) * height ? into : undefined);
    });
    const stride = rgbStride(width);
    if (!out || this.failure || out.length < stride * height)
      throw this.fail(this.failure ?? `the converter gave ${out ? `${out.length} bytes` : 'no picture'}`);
    return { data: out, width, height, stride, index, ptsMs: frame.ptsMs };
  }

  private pipelineFor(frame: I420Frame): GstPipeline {
    const caps = [
      `video/x-raw,format=I420,width=${frame.width},height=${frame.height},framerate=0/1`,
      frame.colorimetry ? `colorimetry=(string)${frame.colorimetry}` : '',
      frame.chromaSite ? `chroma-site=(string)${frame.chromaSite}` : '',
    ]
      .filter(Boolean)
      .join(',');
    if (this.pipeline && caps === this.caps && !this.failure) return this.pipeline;
    this.pipeline?.stop();
    this.failure = undefined;
    const pipeline = new (gst().Pipeline)(
      [
        `appsrc name=src format=time caps=${gstQuote(caps)}`,
        'videoconvert',
        'video/x-raw,format=RGB',
        'appsink name=sink sync=false max-buffers=2',
      ].join(' ! '),
    );
    pipeline.pollBus((m) => {
      if (m.type === 'error') this.failure = `${m.name ?? 'videoconvert'}: ${m.message ?? 'error'}`;
    });
    pipeline.play();
    this.pipeline = pipeline;
    this.caps = caps;
    return pipeline;
  }

  /** Drops the pipeline after a failure (the next frame builds a new one) and names what went wrong. */
  private fail(reason: string): Error {
    this.pipeline?.stop();
    this.pipeline = undefined;
    this.failure = undefined;
    return new Error(`cannot convert an I420 frame to RGB: ${reason}`);
  }
}

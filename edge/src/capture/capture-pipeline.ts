import type { RgbFrame } from '@gic/shared/media/frame.js';
import { rgbStride } from '@gic/shared/media/frame.js';
import { type GstPipeline, gst } from '@gic/shared/media/gst.js';
import { type CaptureLayout, captureDescription } from './pipeline-description.js';

export type CaptureEnd = { kind: 'eos' } | { kind: 'error'; message: string } | { kind: 'stopped' };

export interface CaptureHandlers {
  /** Called for each sampled frame; the pipeline pulls the next only after it resolves. */
  onFrame(frame: RgbFrame): Promise<void>;
  /** Called once, when the source ends, fails or is stopped. */
  onEnd(end: CaptureEnd): void;
  /** Each preview JPEG, when the layout asks for a preview. */
  onPreview?(jpeg: Buffer): void;
}

/**
 * Runs the capture pipeline: frames from the analysis appsink go to `onFrame` one at a time (a live
 * source drops stale frames meanwhile), and the recorder writes alongside. `stop()` sends end of
 * stream first so the recording is finished properly.
 */
export class CapturePipeline {
  private pipeline?: GstPipeline;
  private ended = false;
  private eosSeen?: () => void;
  private frameIndex = 0;

  constructor(
    private readonly layout: CaptureLayout,
    private readonly handlers: CaptureHandlers,
  ) {}

  start(): void {
    const pipeline = new (gst().Pipeline)(captureDescription(this.layout));
    this.pipeline = pipeline;
    const sink = pipeline.findChild('analysis');
    if (!sink) throw new Error('analysis appsink missing from pipeline');
    const { width, height, fps } = this.layout.analysis;
    const stride = rgbStride(width);
    pipeline.pollBus((message) => {
      if (message.type === 'eos') {
        this.eosSeen?.();
        this.finish({ kind: 'eos' });
      } else if (message.type === 'error') {
        this.finish({
          kind: 'error',
          message: `${message.name ?? 'pipeline'}: ${message.message ?? 'unknown error'}`,
        });
      }
    });
    const pull = () =>
      sink.pull((buf) => {
        if (this.ended) return;
        // A null buffer is end of stream on the analysis branch; the bus reports the whole pipeline's.
        if (!buf) return;
        if (buf.length < stride * height) {
          this.finish({
            kind: 'error',
            message: `frame of ${buf.length} bytes is smaller than ${width}x${height} RGB`,
          });
          return;
        }
        const frame: RgbFrame = {
          data: buf,
          width,
          height,
          stride,
          index: this.frameIndex,
          ptsMs: Math.round((this.frameIndex * 1000) / fps),
        };
        this.frameIndex++;
        this.handlers.onFrame(frame).then(pull, (err: Error) => {
          this.finish({ kind: 'error', message: `analysis failed: ${err.message}` });
        });
      });
    const preview = this.layout.preview ? pipeline.findChild('preview') : undefined;
    const pullPreview = () =>
      preview?.pull((jpeg) => {
        if (this.ended || !jpeg) return;
        this.handlers.onPreview?.(jpeg);
        pullPreview();
      });
    pipeline.play();
    pull();
    pullPreview();
  }

  /** Replaces what the recorder burns out (an SVG from maskSvg); applies within a frame or two. */
  setRecorderMask(svg: string): void {
    const element = this.pipeline?.findChild('recmask');
    if (element) element.data = svg;
  }

  /** Frames sampled so far. */
  get framesSampled(): number {
    return this.frameIndex;
  }

  /** Ends the stream so the recorder closes its file, then tears the pipeline down. */
  async stop(timeoutMs = 5000): Promise<void> {
    const pipeline = this.pipeline;
    if (!pipeline) return;
    if (!this.ended) {
      const eos = new Promise<void>((resolve) => {
        this.eosSeen = resolve;
        setTimeout(resolve, timeoutMs).unref();
      });
      pipeline.sendEOS();
      await eos;
    }
    pipeline.stop();
    this.pipeline = undefined;
    this.finish({ kind: 'stopped' });
  }

  private finish(end: CaptureEnd): void {
    if (this.ended) return;
    this.ended = true;
    // Called from the bus callback: stopping here, synchronously, is what ends gstreamer-superficial's
    // bus polling. A pipeline stopped at any other moment leaves a libuv worker thread waiting forever.
    if (end.kind !== 'stopped') {
      this.pipeline?.stop();
      this.pipeline = undefined;
    }
    this.handlers.onEnd(end);
  }
}

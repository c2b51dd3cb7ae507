import type { RgbFrame } from '@gic/shared/media/frame.js';
import { rgbStride } from '@gic/shared/media/frame.js';
import { type GstPipeline, gst, gstErrorText } from '@gic/shared/media/gst.js';
import { withTimeout } from '@gic/shared/process/with-timeout.js';
import { type CaptureLayout, captureDescription } from './pipeline-description.js';
import { type ClosedSegment, type Segment, SegmentRecorder } from './segment-recorder.js';

/** The most a run's end waits for the recorder's appsink to hand over what it holds (ms). */
const RECORDER_DRAIN_MS = 10_000;

export type CaptureEnd =
  | { kind: 'eos' }
  | { kind: 'error'; message: string }
  | { kind: 'stopped' }
  /** Ended on purpose to start over (a stalled analysis, say); the next run starts at once. */
  | { kind: 'restarted'; message: string };

export interface CaptureHandlers {
  /** Called for each sampled frame; the pipeline pulls the next only after it resolves. */
  onFrame(frame: RgbFrame): Promise<void>;
  /** Called once, when the source ends, fails or is stopped, after every segment has been closed. */
  onEnd(end: CaptureEnd): void;
  /** Each preview JPEG, when the layout asks for a preview. */
  onPreview?(jpeg: Buffer): void;
  /** A recording segment was started (see SegmentRecorder). */
  onSegmentOpened?(segment: Segment): void;
  /** A recording segment will not be written again; complete unless `error` says otherwise. */
  onSegmentClosed?(segment: ClosedSegment): void;
  /** Recording failed (a full disk, say) and is now off; analysis and preview go on. */
  onRecorderError?(message: string): void;
  /** A problem the pipeline lives through, such as a damaged frame the decoder skipped. */
  onWarning?(message: string): void;
}

/**
 * Runs the capture pipeline: frames from the analysis appsink go to `onFrame` one at a time (a live
 * source drops stale frames meanwhile), and the encoded recorder branch goes to a SegmentRecorder,
 * which writes each segment in a pipeline of its own (a failing disk never stops the capture).
 * `stop()` sends end of stream first so that the last segment is finished properly.
 */
export class CapturePipeline {
  private pipeline?: GstPipeline;
  private recorder?: SegmentRecorder;
  private recording = true;
  private ended = false;
  private eosSeen?: () => void;
  /** stop() was called: the end of stream it sends ends the run as `stopped`, not as the source's end. */
  private stopping = false;
  private finished?: Promise<void>;
  private frameIndex = 0;
  /** Access units the recorder's appsink handed over in this run. */
  private accessUnits = 0;
  /** Resolves once the recorder's appsink has handed null: everything encoded has been written. */
  private recorderDrained: Promise<void> = Promise.resolve();

  constructor(
    private readonly layout: CaptureLayout,
    private readonly handlers: CaptureHandlers,
  ) {}

  start(): void {
    const pipeline = new (gst().Pipeline)(captureDescription(this.layout));
    this.pipeline = pipeline;
    const sink = pipeline.findChild('analysis');
    if (!sink) throw new Error('analysis appsink missing from pipeline');
    const { fps } = this.layout.analysis;
    pipeline.pollBus((message) => {
      if (message.type === 'eos') {
        this.eosSeen?.();
        // The pipeline's end of stream means every sink has its own, but the bus and the appsinks reach
        // JavaScript through separate queues: what the recorder's appsink still holds is written first.
        void this.drainRecorder().then(() =>
          this.finish(this.stopping ? { kind: 'stopped' } : { kind: 'eos' }),
        );
      } else if (message.type === 'error') {
        this.finish({ kind: 'error', message: gstErrorText(message) });
      } else if (message.type === 'warning') {
        this.handlers.onWarning?.(gstErrorText(message));
      }
    });
    const pull = () =>
      sink.pull((buf, caps) => {
        if (this.ended) return;
        // A null buffer is end of stream on the analysis branch; the bus reports the whole pipeline's.
        if (!buf) return;
        // The frame keeps the source's size within the analysis bounds: its caps say which.
        const width = Number(caps?.width);
        const height = Number(caps?.height);
        if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
          this.finish({ kind: 'error', message: 'analysis frame came without its size (caps)' });
          return;
        }
        const stride = rgbStride(width);
        if (buf.length < stride * (height - 1) + width * 3) {
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
    const pullRecorded = this.startRecorder(pipeline);
    pipeline.play();
    // Pulls only after play(): an appsink not yet started hands null at once, as at end of stream.
    pull();
    pullPreview();
    pullRecorded?.();
  }

  /** Sets up the segment recorder; returns the loop that feeds it, to start once the pipeline plays. */
  private startRecorder(pipeline: GstPipeline): (() => void) | undefined {
    if (!this.layout.recording) return undefined;
    const recorded = pipeline.findChild('recorded');
    if (!recorded) throw new Error('recorded appsink missing from pipeline');
    const recorder = new SegmentRecorder(this.layout.recording, {
      onSegmentOpened: (segment) => this.handlers.onSegmentOpened?.(segment),
      onSegmentClosed: (segment) => this.handlers.onSegmentClosed?.(segment),
      onError: (message) => {
        this.closeValve(true);
        this.recording = false;
        this.handlers.onRecorderError?.(message);
      },
    });
    this.recorder = recorder;
    if (!this.recording) {
      this.closeValve(true);
      void recorder.setEnabled(false);
    }
    // Access units are handed on as they come; the pull hands null at the recorder branch's end of
    // stream, or once the pipeline is stopped (after an error, whatever is left is dropped).
    let drained!: () => void;
    this.recorderDrained = new Promise((resolve) => {
      drained = resolve;
    });
    const pullRecorded = () =>
      recorded.pull((au) => {
        if (!au) {
          drained();
          return;
        }
        this.accessUnits++;
        recorder.write(au);
        pullRecorded();
      });
    return pullRecorded;
  }

  private closeValve(closed: boolean): void {
    const valve = this.pipeline?.findChild('recvalve');
    if (valve) valve.drop = closed;
  }

  /**
   * Recording off: the open segment is closed (resolves once it is complete) and nothing more is
   * encoded; analysis and preview go on. On: a new segment starts at once, on a key frame asked of the
   * encoder. Before `start()`, sets whether the run begins recording.
   */
  async setRecording(on: boolean): Promise<void> {
    this.recording = on;
    if (!this.recorder || this.ended) return;
    if (on) {
      this.closeValve(false);
      // A key frame now, so that the new segment starts at once rather than at the next one due.
      this.pipeline?.forceKeyUnit('recparse', 1);
      await this.recorder.setEnabled(true);
    } else {
      this.closeValve(true);
      await this.recorder.setEnabled(false);
    }
  }

  /** Whether the recorder is writing (or will, at the next key frame). */
  get recordingOn(): boolean {
    return this.recording;
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

  /** Ends the stream so that the recorder closes its last segment, then tears the pipeline down. */
  async stop(timeoutMs = 5000): Promise<void> {
    const pipeline = this.pipeline;
    this.stopping = true;
    if (pipeline && !this.ended) {
      const eos = new Promise<boolean>((resolve) => {
        this.eosSeen = () => resolve(true);
        setTimeout(() => resolve(false), timeoutMs).unref();
      });
      pipeline.sendEOS();
      // A source stuck in its driver never lets end of stream through: then nothing is left to drain.
      if (await eos) await this.drainRecorder();
    }
    this.finish({ kind: 'stopped' });
    await this.finished;
  }

  /**
   * Waits, at most `timeoutMs`, for the recorder's appsink to hand null (its end of stream, after the
   * last access unit). Past that the run ends anyway, and says what the recorder lost.
   */
  private async drainRecorder(timeoutMs = RECORDER_DRAIN_MS): Promise<void> {
    const drained = await withTimeout(this.recorderDrained, timeoutMs, () => new Error('not drained')).then(
      () => true,
      () => false,
    );
    if (!drained && !this.ended)
      this.handlers.onWarning?.(
        `the recorder's last access units were not written: its appsink did not end within ${timeoutMs} ms of the stream's end`,
      );
  }

  private finish(end: CaptureEnd): void {
    if (this.ended) return;
    this.ended = true;
    // A run that sampled video but whose recorder got none: said, so that a missing recording is explained.
    if (this.recorder && this.recording && this.frameIndex > 0 && this.accessUnits === 0)
      this.handlers.onWarning?.(
        `the recorder received no video in this run (${this.frameIndex} frames sampled for analysis)`,
      );
    // Frees every GStreamer resource of the run (threads, sockets, buffers), wherever it is called from.
    this.pipeline?.stop();
    this.pipeline = undefined;
    // The last segment gets its end of stream now, even after a source error, so it is finished properly.
    const recorder = this.recorder;
    this.finished = (recorder ? recorder.close() : Promise.resolve()).then(() => this.handlers.onEnd(end));
  }
}

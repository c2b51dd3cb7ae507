import { type GstElement, type GstPipeline, gst, gstErrorText, gstQuote } from '@gic/shared/media/gst.js';

/** How long a fragment of the MP4 may grow before it is written out (ms): what a crash can lose. */
export const FRAGMENT_MS = 1000;

/**
 * The muxer and file part of a segment: fragmented MP4, so that the file is readable up to its last
 * whole fragment even if the process dies; unbuffered, so that each fragment reaches the file at once
 * instead of waiting in a stdio buffer.
 */
export function segmentMuxDescription(path: string): string {
  return [
    `mp4mux fragment-duration=${FRAGMENT_MS}`,
    `filesink name=file location=${gstQuote(path)} sync=false async=false buffer-mode=unbuffered`,
  ].join(' ! ');
}

/** A segment pipeline: H.264 access units pushed in, one MP4 file out. */
export function segmentDescription(path: string, fps: number): string {
  return [
    `appsrc name=src format=time max-bytes=0 caps=${gstQuote(`video/x-h264,stream-format=byte-stream,alignment=au,framerate=${fps}/1`)}`,
    'h264parse',
    segmentMuxDescription(path),
  ].join(' ! ');
}

/**
 * Writes one MP4 segment in a pipeline of its own, so that a failing disk ends only this file, never
 * the capture. Time starts at 0 in every segment (frame count / rate: the recorder's rate is pinned).
 * Failures are reported once through `onFailed`; the pipeline is torn down when the file ends or fails.
 */
export class SegmentWriter {
  private readonly pipeline: GstPipeline;
  private readonly src: GstElement;
  private frames = 0;
  private done = false;
  private closing = false;
  private failure?: string;
  private finished?: () => void;

  constructor(
    readonly path: string,
    private readonly fps: number,
    private readonly onFailed: (message: string) => void,
  ) {
    this.pipeline = new (gst().Pipeline)(segmentDescription(path, fps));
    const src = this.pipeline.findChild('src');
    if (!src) throw new Error('appsrc missing from the segment pipeline');
    this.src = src;
    this.pipeline.pollBus((message) => {
      if (message.type !== 'eos' && message.type !== 'error') return;
      if (message.type === 'error') this.failure ??= gstErrorText(message);
      this.done = true;
      this.pipeline.stop();
      if (message.type === 'error') this.onFailed(this.failure!);
      this.finished?.();
    });
    this.pipeline.play();
  }

  /** Frames written so far. */
  get framesWritten(): number {
    return this.frames;
  }

  /** Why the segment failed, if it did. */
  get error(): string | undefined {
    return this.failure;
  }

  /** Adds one access unit; dropped once the writer has failed or closed. */
  write(accessUnit: Buffer): void {
    if (this.done || this.closing) return;
    this.src.push(accessUnit, Math.round((this.frames * 1e9) / this.fps));
    this.frames++;
  }

  /**
   * Ends the file: waits until the source has handed on every queued access unit (an end of stream
   * sent earlier would overtake them), then ends the stream, and resolves once the muxer has written
   * its last fragment and index and the pipeline is down; with the failure, if there was one.
   */
  async close(timeoutMs = 5000): Promise<{ error?: string }> {
    this.closing = true;
    if (!this.done) {
      const deadline = Date.now() + timeoutMs;
      while (!this.done && Number(this.src['current-level-bytes'] ?? 0) > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      const ended = new Promise<void>((resolve) => {
        this.finished = resolve;
        setTimeout(resolve, Math.max(0, deadline - Date.now())).unref();
      });
      if (!this.done) this.pipeline.sendEOS();
      await ended;
      if (!this.done) {
        this.done = true;
        this.pipeline.stop();
        this.failure ??= `the MP4 muxer did not finish ${this.path} within ${timeoutMs} ms`;
      }
    }
    return this.failure ? { error: this.failure } : {};
  }
}

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { RgbFrame } from '@gic/shared/media/frame.js';
import type { SourceConfig } from '../config.js';
import { type CaptureEnd, CapturePipeline } from './capture-pipeline.js';
import { type CaptureLayout, RECORDING_DEFAULTS, type RecordingSettings } from './pipeline-description.js';
import type { ClosedSegment, Segment } from './segment-recorder.js';

export type SourceState = 'starting' | 'live' | 'no-signal' | 'ended';

/** One lifetime of the pipeline, from start to end of stream, error or stop. */
export interface CaptureRun {
  id: string;
  /** The run's segments are `${segmentPrefix}-00000.mp4`, `-00001.mp4`, ... in the recordings directory. */
  segmentPrefix: string;
  frames: number;
  /** Segments opened so far. */
  segments: number;
}

export interface SupervisorHandlers {
  /** The run delivers video: called once, before its first frame and before its first segment. */
  onRunStart(run: CaptureRun): void;
  onFrame(run: CaptureRun, frame: RgbFrame): Promise<void>;
  /** A new segment file was started (at a key frame). */
  onSegmentOpened(run: CaptureRun, segment: Segment): void;
  /**
   * The recorder will never write this file again: it is complete (closed on time, at end of stream,
   * at stop, after a source error, or on `setRecording(false)`), or cut short by a write failure, as
   * `error` says. Awaited before `onRunEnd`.
   */
  onSegmentClosed(run: CaptureRun, segment: ClosedSegment): Promise<void> | void;
  /** Recording failed (a full disk, say) and is off; analysis goes on, and recording is retried later. */
  onRecorderError(run: CaptureRun, message: string): void;
  /** The run is over; every segment of it has been closed and reported. */
  onRunEnd(run: CaptureRun, end: CaptureEnd): Promise<void>;
  onState(state: SourceState, message?: string): void;
  onPreview?(jpeg: Buffer): void;
  /** A problem the run lives through (a damaged frame the decoder skipped, say), or a handler that threw. */
  onWarning?(run: CaptureRun, message: string): void;
  /** A retry was scheduled `delayMs` from now: of the lost source, or of the failed recorder (the backoff). */
  onRetryScheduled?(what: 'source' | 'recorder', delayMs: number): void;
}

export interface SupervisorOptions {
  /** First retry delay after a lost source (ms); doubles up to `maxBackoffMs`. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * After a recorder failure, recording is tried again this much later (ms), doubling while it keeps
   * failing up to `recorderRetryMaxMs`, so that a full disk is not hammered; 0: not until asked.
   */
  recorderRetryMs?: number;
  recorderRetryMaxMs?: number;
}

/** The source in words for a message; an RTSP URL without its user name and password. */
export function sourceName(source: SourceConfig): string {
  switch (source.kind) {
    case 'file':
      return `file ${source.path}`;
    case 'v4l2':
      return `capture device ${source.device}`;
    case 'test':
      return 'the test pattern';
    case 'rtsp': {
      try {
        const url = new URL(source.url);
        url.username = '';
        url.password = '';
        return `RTSP source ${url.href}`;
      } catch {
        return 'RTSP source';
      }
    }
  }
}

/** The layout without where to record: each run records under its own prefix. */
export type SupervisedLayout = Omit<CaptureLayout, 'recording'> & { recording?: RecordingSettings };

/**
 * Keeps the capture going: a lost source (card unplugged, RTSP down, unreadable file) is reported as
 * "no signal" and retried with backoff, a looping file starts over at its end, a failing recorder is
 * reported and retried while the analysis goes on, and nothing here ever throws to the process. Each
 * run records its own segments in `recordingsDir`.
 */
export class CaptureSupervisor {
  private current?: CapturePipeline;
  private stopping = false;
  private wake?: () => void;
  private loopDone?: Promise<CaptureEnd>;
  private recording = true;
  private retryTimer?: NodeJS.Timeout;
  private retryDelayMs?: number;
  private restartReason?: string;

  constructor(
    private layout: SupervisedLayout,
    private readonly recordingsDir: string,
    private readonly handlers: SupervisorHandlers,
    private readonly options: SupervisorOptions = {},
  ) {}

  /** Starts; the promise resolves when the source has ended for good (a file without loop) or on stop. */
  start(): Promise<CaptureEnd> {
    this.loopDone ??= this.loop();
    return this.loopDone;
  }

  private async loop(): Promise<CaptureEnd> {
    const min = this.options.minBackoffMs ?? 1000;
    const max = this.options.maxBackoffMs ?? 30_000;
    let delay = min;
    const source = this.layout.source;
    this.handlers.onState('starting');
    for (;;) {
      const id = randomUUID();
      const run: CaptureRun = { id, segmentPrefix: join(this.recordingsDir, id), frames: 0, segments: 0 };
      let end = await this.runOnce(run);
      const restarted = this.restartReason;
      this.restartReason = undefined;
      if (restarted !== undefined && !this.stopping) end = { kind: 'restarted', message: restarted };
      await this.handlers.onRunEnd(run, end).catch(() => {});
      if (this.stopping || end.kind === 'stopped') return { kind: 'stopped' };
      if (end.kind === 'restarted') {
        this.handlers.onState('starting', end.message);
        continue;
      }
      if (end.kind === 'eos' && source.kind === 'file') {
        if (!source.loop) {
          this.handlers.onState('ended');
          return end;
        }
        if (run.frames > 0) continue; // start the file over at once
      }
      const message =
        end.kind === 'error' ? end.message : `${sourceName(source)} stopped sending video (end of stream)`;
      this.handlers.onState('no-signal', message);
      if (run.frames > 0) delay = min;
      this.handlers.onRetryScheduled?.('source', delay);
      await this.sleep(delay);
      delay = Math.min(max, delay * 2);
      if (this.stopping) return { kind: 'stopped' };
    }
  }

  private runOnce(run: CaptureRun): Promise<CaptureEnd> {
    let started = false;
    const begin = () => {
      if (started) return;
      started = true;
      this.handlers.onState('live');
      this.handlers.onRunStart(run);
    };
    let failedBefore = 0; // segments opened when the recorder last failed
    // Segment handlers may be async (sealing a file); the run ends only after they have all finished.
    const pending = new Set<Promise<void>>();
    const guard = (what: string, work: () => Promise<void> | void) => {
      const done: Promise<void> = Promise.resolve()
        .then(work)
        .catch((err: Error) => this.handlers.onWarning?.(run, `${what} failed: ${err.message}`))
        .finally(() => pending.delete(done));
      pending.add(done);
    };
    return new Promise<CaptureEnd>((resolve) => {
      const pipeline = new CapturePipeline(
        {
          ...this.layout,
          recording: { ...(this.layout.recording ?? RECORDING_DEFAULTS), segmentPrefix: run.segmentPrefix },
        },
        {
          onFrame: async (frame) => {
            begin();
            run.frames++;
            await this.handlers.onFrame(run, frame);
          },
          onSegmentOpened: (segment) => {
            begin();
            run.segments++;
            guard('onSegmentOpened', () => this.handlers.onSegmentOpened(run, segment));
          },
          onSegmentClosed: (segment) => {
            // A segment begun after the last failure and closed whole: the recorder works again.
            if (!segment.error && segment.index >= failedBefore) this.retryDelayMs = undefined;
            guard('onSegmentClosed', () => this.handlers.onSegmentClosed(run, segment));
          },
          onRecorderError: (message) => {
            failedBefore = run.segments;
            guard('onRecorderError', () => this.handlers.onRecorderError(run, message));
            this.retryRecording(pipeline);
          },
          onWarning: (message) => this.handlers.onWarning?.(run, message),
          onEnd: resolve,
          ...(this.handlers.onPreview
            ? { onPreview: (jpeg: Buffer) => this.handlers.onPreview?.(jpeg) }
            : {}),
        },
      );
      void pipeline.setRecording(this.recording);
      this.current = pipeline;
      try {
        pipeline.start();
      } catch (err) {
        resolve({ kind: 'error', message: `pipeline could not start: ${(err as Error).message}` });
      }
    }).then(async (end) => {
      this.current = undefined;
      clearTimeout(this.retryTimer);
      while (pending.size > 0) await Promise.all([...pending]);
      return end;
    });
  }

  private retryRecording(pipeline: CapturePipeline): void {
    const first = this.options.recorderRetryMs ?? 30_000;
    const max = this.options.recorderRetryMaxMs ?? 600_000;
    clearTimeout(this.retryTimer);
    if (first <= 0) return;
    const retryMs = this.retryDelayMs ?? first;
    this.retryDelayMs = Math.min(max, retryMs * 2);
    this.handlers.onRetryScheduled?.('recorder', retryMs);
    this.retryTimer = setTimeout(() => {
      if (this.recording && this.current === pipeline) void pipeline.setRecording(true);
    }, retryMs);
    this.retryTimer.unref();
  }

  /**
   * Turns recording off (the open segment is closed, complete, before this resolves; analysis and
   * preview go on) or on again (a new segment from the next key frame, within a second). Holds for
   * later runs too.
   */
  async setRecording(on: boolean): Promise<void> {
    this.recording = on;
    clearTimeout(this.retryTimer);
    await this.current?.setRecording(on);
  }

  /** Whether recording is wanted (it may be failing: see onRecorderError). */
  get recordingOn(): boolean {
    return this.recording;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Changes what the current run's recorder burns out (see RecorderMask). */
  setRecorderMask(svg: string): void {
    this.current?.setRecorderMask(svg);
  }

  /** The layout runs are built with (a new one takes effect at the next run: see `restart`). */
  get currentLayout(): Readonly<SupervisedLayout> {
    return this.layout;
  }

  /** Builds the next runs with `layout`; its source must stay the same (the loop keeps its own). */
  setLayout(layout: SupervisedLayout): void {
    this.layout = { ...layout, source: this.layout.source };
  }

  /**
   * Ends the current run (its segments closed, as at a stop; a source stuck in its driver is left to
   * its own thread) and starts a new one at once. No-op while no run is going.
   */
  async restart(reason: string): Promise<void> {
    if (!this.current || this.stopping) return;
    this.restartReason = reason;
    await this.current.stop();
  }

  /** Ends the current run cleanly (the recorder closes its file) and stops retrying. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.current?.stop();
    await this.loopDone;
  }
}

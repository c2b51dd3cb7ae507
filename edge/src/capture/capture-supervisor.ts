import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { RgbFrame } from '@gic/shared/media/frame.js';
import { type CaptureEnd, CapturePipeline } from './capture-pipeline.js';
import type { CaptureLayout } from './pipeline-description.js';

export type SourceState = 'starting' | 'live' | 'no-signal' | 'ended';

/** One lifetime of the pipeline, from start to end of stream, error or stop. */
export interface CaptureRun {
  id: string;
  recordingPath: string;
  frames: number;
}

export interface SupervisorHandlers {
  /** The run's first frame arrived: the source delivers video. */
  onRunStart(run: CaptureRun): void;
  onFrame(run: CaptureRun, frame: RgbFrame): Promise<void>;
  /** The run is over; its recorder has closed its file. */
  onRunEnd(run: CaptureRun, end: CaptureEnd): Promise<void>;
  onState(state: SourceState, message?: string): void;
  onPreview?(jpeg: Buffer): void;
}

export interface SupervisorOptions {
  /** First retry delay after a lost source (ms); doubles up to `maxBackoffMs`. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * Keeps the capture going: a lost source (card unplugged, RTSP down, unreadable file) is reported as
 * "no signal" and retried with backoff, a looping file starts over at its end, and nothing here ever
 * throws to the process. Each run records to its own file in `recordingsDir`.
 */
export class CaptureSupervisor {
  private current?: CapturePipeline;
  private stopping = false;
  private wake?: () => void;
  private loopDone?: Promise<CaptureEnd>;

  constructor(
    private readonly layout: Omit<CaptureLayout, 'recordingPath'>,
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
      const run: CaptureRun = {
        id: randomUUID(),
        recordingPath: join(this.recordingsDir, `${randomUUID()}.mp4`),
        frames: 0,
      };
      const end = await this.runOnce(run);
      await this.handlers.onRunEnd(run, end).catch(() => {});
      if (this.stopping || end.kind === 'stopped') return { kind: 'stopped' };
      if (end.kind === 'eos' && source.kind === 'file') {
        if (!source.loop) {
          this.handlers.onState('ended');
          return end;
        }
        if (run.frames > 0) continue; // start the file over at once
      }
      const message = end.kind === 'error' ? end.message : 'the source stopped sending video';
      this.handlers.onState('no-signal', message);
      if (run.frames > 0) delay = min;
      await this.sleep(delay);
      delay = Math.min(max, delay * 2);
      if (this.stopping) return { kind: 'stopped' };
    }
  }

  private runOnce(run: CaptureRun): Promise<CaptureEnd> {
    return new Promise<CaptureEnd>((resolve) => {
      const pipeline = new CapturePipeline(
        { ...this.layout, recordingPath: run.recordingPath },
        {
          onFrame: async (frame) => {
            if (run.frames++ === 0) {
              this.handlers.onState('live');
              this.handlers.onRunStart(run);
            }
            await this.handlers.onFrame(run, frame);
          },
          onEnd: resolve,
          ...(this.handlers.onPreview
            ? { onPreview: (jpeg: Buffer) => this.handlers.onPreview?.(jpeg) }
            : {}),
        },
      );
      this.current = pipeline;
      try {
        pipeline.start();
      } catch (err) {
        resolve({ kind: 'error', message: `pipeline could not start: ${(err as Error).message}` });
      }
    }).finally(() => {
      this.current = undefined;
    });
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

  /** Ends the current run cleanly (the recorder closes its file) and stops retrying. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.current?.stop();
    await this.loopDone;
  }
}

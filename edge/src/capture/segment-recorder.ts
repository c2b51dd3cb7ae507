import type { RecordingLayout } from './pipeline-description.js';
import { SegmentWriter } from './segment-writer.js';

/** One MP4 file of a recording. */
export interface Segment {
  path: string;
  /** 0, 1, 2, ... within the run, in recording order. */
  index: number;
}

export interface ClosedSegment extends Segment {
  /** Video the file holds (ms). */
  durationMs: number;
  /**
   * Set when the segment was cut short by a write failure (a full disk, say): the file keeps what was
   * written before it, readable up to its last whole fragment, and may be empty.
   */
  error?: string;
}

export interface SegmentRecorderEvents {
  /** A new segment file was started (on a key frame). */
  onSegmentOpened(segment: Segment): void;
  /** The recorder will never write to this file again: it is complete, or cut short (see `error`). */
  onSegmentClosed(segment: ClosedSegment): void;
  /** Writing failed; recording is off from here until it is enabled again. */
  onError(message: string): void;
}

/** `prefix-00000.mp4`, `prefix-00001.mp4`, ... */
export function segmentPath(prefix: string, index: number): string {
  return `${prefix}-${String(index).padStart(5, '0')}.mp4`;
}

/** Whether an H.264 byte-stream access unit holds an IDR picture (a key frame a segment can start on). */
export function isKeyFrame(accessUnit: Uint8Array): boolean {
  for (let i = 0; i + 3 < accessUnit.length; i++) {
    if (accessUnit[i] !== 0 || accessUnit[i + 1] !== 0 || accessUnit[i + 2] !== 1) continue;
    const type = accessUnit[i + 3]! & 0x1f;
    if (type === 5) return true;
    if (type === 1) return false; // the first slice of a non-IDR picture
    i += 3;
  }
  return false;
}

/**
 * Cuts the recorder's H.264 stream into MP4 segments of `segmentSeconds`, each beginning on a key
 * frame, each written by its own SegmentWriter. Turned off, it closes the open segment; turned on, it
 * opens a new one at the next key frame. A write failure closes that segment, reports the error and
 * turns recording off, so that the capture (and the analysis) goes on without it.
 */
export class SegmentRecorder {
  private current?: { segment: Segment; writer: SegmentWriter };
  private nextIndex = 0;
  private on = true;
  private readonly closing = new Set<Promise<void>>();
  /** Segments whose failure was reported: a writer's pipeline may post several errors for one failure. */
  private readonly reported = new WeakSet<Segment>();

  constructor(
    private readonly layout: Pick<RecordingLayout, 'segmentPrefix' | 'segmentSeconds' | 'fps'>,
    private readonly events: SegmentRecorderEvents,
  ) {}

  get enabled(): boolean {
    return this.on;
  }

  /** Feeds one access unit from the encoder. */
  write(accessUnit: Buffer): void {
    if (!this.on) return;
    const key = isKeyFrame(accessUnit);
    const limit = this.layout.segmentSeconds * this.layout.fps;
    if (this.current && key && this.current.writer.framesWritten >= limit) this.closeCurrent();
    if (!this.current) {
      if (!key) return; // a segment starts on a key frame; one comes within a second
      this.open();
    }
    this.current?.writer.write(accessUnit);
  }

  /** Off: closes the open segment and resolves once it is complete; on: records again from the next key frame. */
  async setEnabled(on: boolean): Promise<void> {
    this.on = on;
    if (!on) this.closeCurrent();
    await this.settled();
  }

  /** Stops for good: resolves once every segment is complete and reported closed. */
  async close(): Promise<void> {
    await this.setEnabled(false);
  }

  private open(): void {
    const segment = { path: segmentPath(this.layout.segmentPrefix, this.nextIndex), index: this.nextIndex };
    this.nextIndex++;
    let writer: SegmentWriter;
    try {
      writer = new SegmentWriter(segment.path, this.layout.fps, (message) => this.failed(segment, message));
    } catch (err) {
      this.on = false;
      this.events.onError(`recording stopped: cannot write ${segment.path}: ${(err as Error).message}`);
      return;
    }
    this.current = { segment, writer };
    this.events.onSegmentOpened(segment);
  }

  private failed(segment: Segment, message: string): void {
    // GStreamer may post a second error for the same failure (the write, then the flush at close):
    // one failure, one report, one retry.
    if (this.reported.has(segment)) return;
    this.reported.add(segment);
    if (this.current?.segment === segment) this.closeCurrent();
    this.on = false;
    this.events.onError(`recording stopped: cannot write ${segment.path}: ${message}`);
  }

  private closeCurrent(): void {
    const current = this.current;
    if (!current) return;
    this.current = undefined;
    const closed = current.writer
      .close()
      .then(({ error }) => {
        const durationMs = Math.round((current.writer.framesWritten * 1000) / this.layout.fps);
        this.events.onSegmentClosed({ ...current.segment, durationMs, ...(error ? { error } : {}) });
      })
      .catch(() => {}) // the handlers do not throw (the supervisor guards them); never an unhandled rejection
      .finally(() => this.closing.delete(closed));
    this.closing.add(closed);
  }

  private async settled(): Promise<void> {
    while (this.closing.size > 0) await Promise.all([...this.closing]);
  }
}

import { randomUUID } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@gic/shared/logging/logger.js';
import type { Outbox } from '../outbox/outbox.js';
import { finishRecording } from './finish-recording.js';
import type { RecordingsStore } from './recordings-store.js';

export interface SegmentHooks {
  /** A segment was sealed and waits for upload. */
  sealed(): void;
  /** Ask the recorder to close the open segment now and start another (a procedure ended). */
  split(): void;
}

interface OpenSegment {
  path: string;
  /** When its first frame was captured, where the capture can tell. */
  startedAt?: Date;
  recordingId?: string;
  procedureId?: string;
  /** The recorder has closed it; it waits for the analysis before it is sealed or deleted. */
  closed?: boolean;
}

/**
 * Gives the recorder's segment files to procedures. A segment opened during a procedure belongs to
 * it; one opened while none was open belongs to the next procedure that starts while it is still
 * being written (so an automatic start, dated back to the scope going in, keeps that video); a
 * segment no procedure touched is deleted when it closes (it can only hold the room between
 * patients, burned out). "While it is still being written" is judged by the analysis, which trails
 * the recorder: a segment that closes without a procedure waits (see `closed`) until the frames
 * captured while it was written have been analysed, since one of them may start a procedure. When a
 * procedure ends, the recorder is asked to split, so no segment holds two patients, and the
 * procedure's last segment is marked final for the hub.
 */
export class SegmentRecordings {
  private readonly open = new Map<string, OpenSegment>();

  constructor(
    private readonly store: RecordingsStore,
    private readonly outbox: Outbox,
    private readonly log: Logger,
    private readonly hooks: SegmentHooks,
    /** The open procedure's id, if any. */
    private readonly currentProcedure: () => string | undefined,
  ) {}

  /** The recorder opened a new segment file, whose first frame was captured at `startedAt` if known. */
  opened(path: string, startedAt?: Date): void {
    const segment: OpenSegment = startedAt ? { path, startedAt } : { path };
    this.open.set(path, segment);
    this.log.debug({ path }, 'segment opened');
    const procedureId = this.currentProcedure();
    if (procedureId) this.attach(segment, procedureId);
  }

  procedureStarted(procedureId: string): void {
    for (const segment of this.open.values()) if (!segment.procedureId) this.attach(segment, procedureId);
  }

  /** The procedure ended: split its open segment, or mark its last closed one final. */
  procedureEnded(procedureId: string): void {
    if ([...this.open.values()].some((s) => s.procedureId === procedureId && !s.closed)) {
      this.hooks.split();
      return;
    }
    const last = this.store.lastSegment(procedureId);
    if (last && !last.final && last.status !== 'recording') {
      // Its last segment closed while it was still open (the source was lost, say): tell the hub it was the last.
      this.store.transaction(() => {
        this.store.markFinal(last.id, true);
        this.outbox.append({
          type: 'recording.sealed',
          procedureId,
          body: {
            recordingId: last.id,
            status: last.status === 'failed' ? 'failed' : 'ready',
            sizeBytes: last.size_bytes,
            sha256: last.sha256,
            error: last.error,
            segmentIndex: last.segment_index,
            final: true,
          },
        });
      });
    } else if (!last) {
      // Nothing was recorded (recording off for a full disk, or a recorder failure): the hub must not wait.
      this.outbox.append({
        type: 'recording.sealed',
        procedureId,
        body: {
          recordingId: randomUUID(),
          status: 'failed',
          sizeBytes: null,
          sha256: null,
          error: 'nothing was recorded for this procedure',
          segmentIndex: 0,
          final: true,
        },
      });
    }
  }

  /**
   * The recorder closed a segment file holding `durationMs` of video: seal it for upload, or delete
   * it if no procedure had it. One that no procedure has yet stays open to a procedure start until
   * `analysed` resolves (every frame captured so far has been analysed): the analysis trails the
   * recorder, and at the end of a short file it may start the procedure only after the recorder has
   * closed the file's one segment.
   */
  async closed(path: string, durationMs?: number, analysed?: () => Promise<void>): Promise<void> {
    const waiting = this.open.get(path);
    this.log.debug({ path, durationMs, procedureId: waiting?.procedureId }, 'segment closed');
    if (waiting && !waiting.procedureId && analysed) {
      waiting.closed = true;
      await analysed();
    }
    const segment = this.open.get(path);
    this.open.delete(path);
    if (!segment?.recordingId || !segment.procedureId) {
      // Between patients (or before the analysis saw a procedure start): nothing of it is kept.
      this.log.info({ path, durationMs, known: segment !== undefined }, 'deleted a segment no procedure had');
      rmSync(path, { force: true });
      return;
    }
    const final = this.currentProcedure() !== segment.procedureId;
    if (
      await finishRecording(
        this.store,
        segment.recordingId,
        this.outbox,
        final,
        segment.startedAt,
        durationMs,
      )
    )
      this.hooks.sealed();
  }

  /** Deletes segment files no recording row points at (left by a crash before any procedure had them). */
  sweepOrphans(dir: string): number {
    const known = this.store.knownPaths();
    let removed = 0;
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (!name.endsWith('.mp4') || known.has(path) || this.open.has(path)) continue;
      rmSync(path, { force: true });
      removed++;
    }
    if (removed > 0) this.log.info({ removed }, 'deleted segment files that belonged to no procedure');
    return removed;
  }

  private attach(segment: OpenSegment, procedureId: string): void {
    segment.procedureId = procedureId;
    segment.recordingId = randomUUID();
    this.store.add(segment.recordingId, procedureId, segment.path, this.store.segmentCount(procedureId));
  }
}

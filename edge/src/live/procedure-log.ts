import { randomUUID } from 'node:crypto';
import type { FrameAnalysis } from '@gic/shared/messages/events.js';
import type { SourceConfig } from '../config.js';
import type { Outbox } from '../outbox/outbox.js';
import type { EdgeDatabase } from '../store/edge-database.js';

export type EndReason = 'source-ended' | 'source-lost' | 'operator' | 'shutdown' | 'out-of-body';
export type StartTrigger = 'auto' | 'finding' | 'operator';

export interface StartDetails {
  /** When it began (ISO); an automatic start dates back to when the scope went in. */
  startedAt?: string;
  trigger: StartTrigger;
  operator: string | null;
}

/**
 * Writes a procedure's life to SQLite and, in the same transaction, to the outbox: nothing is stored
 * locally without its event waiting to be sent, and no event exists without its local data.
 */
export class ProcedureLog {
  private readonly insertProcedure;
  private readonly insertFrame;
  private readonly bumpFrames;
  private readonly closeProcedure;

  constructor(
    private readonly db: EdgeDatabase,
    private readonly outbox: Outbox,
  ) {
    this.insertProcedure = db.prepare(
      'INSERT INTO procedures (id, started_at, source_label, start_trigger, operator) VALUES (?, ?, ?, ?, ?)',
    );
    this.insertFrame = db.prepare(
      'INSERT INTO frame_analyses (procedure_id, frame_index, analysis, created_at) VALUES (?, ?, ?, ?)',
    );
    // The share of the picture masked is summed over in-body frames, for the procedure's mean.
    this.bumpFrames = db.prepare(
      `UPDATE procedures SET frame_count = frame_count + 1,
         masked_in_picture_sum = masked_in_picture_sum + ?, masked_in_picture_frames = masked_in_picture_frames + ?
       WHERE id = ?`,
    );
    this.closeProcedure = db.prepare(
      `UPDATE procedures SET ended_at = ?, end_reason = ?, ended_by = ? WHERE id = ? AND ended_at IS NULL
       RETURNING frame_count, masked_in_picture_sum, masked_in_picture_frames`,
    );
  }

  start(source: SourceConfig, label: string, details: StartDetails): { id: string; startedAt: string } {
    const id = randomUUID();
    const startedAt = details.startedAt ?? new Date().toISOString();
    const { trigger, operator } = details;
    this.db.transaction(() => {
      this.insertProcedure.run(id, startedAt, label, trigger, operator);
      this.outbox.append({
        type: 'procedure.started',
        procedureId: id,
        body: { startedAt, source: { kind: source.kind, label }, trigger, operator },
      });
    })();
    return { id, startedAt };
  }

  recordFrame(procedureId: string, analysis: FrameAnalysis): void {
    this.db.transaction(() => {
      this.insertFrame.run(
        procedureId,
        analysis.frameIndex,
        JSON.stringify(analysis),
        new Date().toISOString(),
      );
      const masked = analysis.quality.inBody ? analysis.maskedInPicture : undefined;
      this.bumpFrames.run(masked ?? 0, masked === undefined ? 0 : 1, procedureId);
      this.outbox.append({ type: 'frame.analysed', procedureId, body: analysis });
    })();
  }

  /** Ends a procedure once; a second call does nothing and returns false. */
  end(procedureId: string, reason: EndReason, details: { endedAt?: string; by?: string } = {}): boolean {
    const endedAt = details.endedAt ?? new Date().toISOString();
    const endedBy = details.by ?? null;
    return this.db.transaction(() => {
      const row = this.closeProcedure.get(endedAt, reason, endedBy, procedureId) as
        | { frame_count: number; masked_in_picture_sum: number; masked_in_picture_frames: number }
        | undefined;
      if (!row) return false;
      const maskedInPicture =
        row.masked_in_picture_frames > 0
          ? Math.min(1, +(row.masked_in_picture_sum / row.masked_in_picture_frames).toFixed(4))
          : null;
      this.outbox.append({
        type: 'procedure.ended',
        procedureId,
        body: { endedAt, analysedFrames: row.frame_count, reason, endedBy, maskedInPicture },
      });
      return true;
    })();
  }

  /** Marks the cecum reached in an open procedure (once); returns the time, or undefined. */
  markCecum(procedureId: string, by: string): string | undefined {
    const at = new Date().toISOString();
    return this.db.transaction(() => {
      const { changes } = this.db
        .prepare(
          'UPDATE procedures SET cecum_reached_at = ? WHERE id = ? AND ended_at IS NULL AND cecum_reached_at IS NULL',
        )
        .run(at, procedureId);
      if (changes === 0) return undefined;
      this.outbox.append({ type: 'landmark.marked', procedureId, body: { landmark: 'cecum', at, by } });
      return at;
    })();
  }

  /** Procedures a crash left open, to be closed at the next start. */
  openProcedures(): string[] {
    return this.db
      .prepare('SELECT id FROM procedures WHERE ended_at IS NULL')
      .all()
      .map((r) => (r as { id: string }).id);
  }

  frameCount(procedureId: string): number {
    const row = this.db.prepare('SELECT frame_count FROM procedures WHERE id = ?').get(procedureId) as
      | { frame_count: number }
      | undefined;
    return row?.frame_count ?? 0;
  }
}

import { randomUUID } from 'node:crypto';
import type { FrameFindingsEvent } from '@gic/shared/messages/events.js';
import type { ScheduledFindings } from '@gic/shared/vlm/frame-findings-scheduler.js';
import type { Outbox } from '../outbox/outbox.js';
import type { EdgeDatabase } from '../store/edge-database.js';

/** One stored analysis, as the event carries it. */
export type StoredFindings = FrameFindingsEvent['body'] & { procedureId: string };

const REASON_MAX = 2000; // characters: the event's limit; a model's bad answer can be long

/**
 * Stores the VLM's analysis of a frame and, in the same transaction, its `frame.findings` event
 * (as ProcedureLog does): nothing stored without its event waiting to be sent.
 */
export class FrameFindingsLog {
  private readonly insert;

  constructor(
    private readonly db: EdgeDatabase,
    private readonly outbox: Outbox,
  ) {
    this.insert = db.prepare(
      `INSERT INTO frame_findings (findings_id, procedure_id, at, pts_ms, trigger, outcome, findings, reason,
         model_id, attempts, ms, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  record(procedureId: string, modelId: string, s: ScheduledFindings): StoredFindings {
    const r = s.result;
    const body: FrameFindingsEvent['body'] = {
      findingsId: randomUUID(),
      at: s.at,
      ptsMs: Math.max(0, s.streamMs),
      trigger: s.trigger,
      outcome: r.outcome,
      findings: r.ok ? r.findings : null,
      reason: r.ok ? null : r.reason.slice(0, REASON_MAX),
      modelId: modelId.slice(0, 200) || 'unknown',
      attempts: Math.min(2, r.answers.length),
      ms: Math.round(r.ms),
    };
    this.db.transaction(() => {
      this.insert.run(
        body.findingsId,
        procedureId,
        body.at,
        body.ptsMs,
        body.trigger,
        body.outcome,
        body.findings ? JSON.stringify(body.findings) : null,
        body.reason,
        body.modelId,
        body.attempts,
        body.ms,
        new Date().toISOString(),
      );
      this.outbox.append({ type: 'frame.findings', procedureId, body });
    })();
    return { ...body, procedureId };
  }

  /** The procedure's latest analyses, newest first. */
  latest(procedureId: string, limit = 5): StoredFindings[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM frame_findings WHERE procedure_id = ? ORDER BY at DESC, created_at DESC LIMIT ?`,
      )
      .all(procedureId, limit) as Record<string, string | number | null>[];
    return rows.map((row) => ({
      procedureId,
      findingsId: String(row.findings_id),
      at: String(row.at),
      ptsMs: Number(row.pts_ms),
      trigger: row.trigger as StoredFindings['trigger'],
      outcome: row.outcome as StoredFindings['outcome'],
      findings: row.findings ? JSON.parse(String(row.findings)) : null,
      reason: row.reason === null ? null : String(row.reason),
      modelId: String(row.model_id),
      attempts: Number(row.attempts),
      ms: Number(row.ms),
    }));
  }
}

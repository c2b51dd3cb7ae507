import type { Outbox } from '../outbox/outbox.js';
import type { EdgeDatabase } from '../store/edge-database.js';
import type { Alert } from './alert-tracker.js';

/** The audit of alerts in the edge's SQLite store: one row per alert, updated as it changes. */
export class AlertsStore {
  private readonly upsertStatement;

  constructor(
    private readonly db: EdgeDatabase,
    /** Every change is also an `alert.changed` event for the hub, in the same transaction. */
    private readonly outbox?: Outbox,
  ) {
    this.upsertStatement = db.prepare(
      `INSERT INTO alerts (id, procedure_id, label, model_id, model_version, first_frame_index, raised_frame_index,
         first_seen_ms, raised_at_ms, raised_at, best_score, box, shown, state, acknowledged_by, acknowledged_at,
         dismissed_by, dismissed_at, ended_at_ms)
       VALUES (@id, @procedureId, @label, @modelId, @modelVersion, @firstFrameIndex, @raisedFrameIndex, @firstSeenMs,
         @raisedAtMs, @raisedAt, @bestScore, @box, @shown, @state, @acknowledgedBy, @acknowledgedAt, @dismissedBy,
         @dismissedAt, @endedAtMs)
       ON CONFLICT (id) DO UPDATE SET best_score = excluded.best_score, box = excluded.box, state = excluded.state,
         acknowledged_by = excluded.acknowledged_by, acknowledged_at = excluded.acknowledged_at,
         dismissed_by = excluded.dismissed_by, dismissed_at = excluded.dismissed_at, ended_at_ms = excluded.ended_at_ms`,
    );
  }

  /** Writes an alert's current state (and its event); acknowledgement times are wall-clock ms. */
  upsert(procedureId: string, alert: Alert, raisedAt: string): void {
    const iso = (ms?: number) => (ms === undefined ? null : new Date(ms).toISOString());
    this.db.transaction(() => {
      this.write(procedureId, alert, raisedAt, iso);
      this.outbox?.append({
        type: 'alert.changed',
        procedureId,
        body: {
          alertId: alert.id,
          label: alert.label,
          modelId: alert.modelId,
          modelVersion: alert.modelVersion,
          firstFrameIndex: alert.firstFrameIndex,
          raisedFrameIndex: alert.raisedFrameIndex,
          raisedAt,
          bestScore: alert.bestScore,
          box: alert.box,
          shown: alert.shown,
          state: alert.state,
          acknowledgedBy: alert.acknowledgedBy ?? null,
          acknowledgedAt: iso(alert.acknowledgedAtMs),
          dismissedBy: alert.dismissedBy ?? null,
          dismissedAt: iso(alert.dismissedAtMs),
        },
      });
    })();
  }

  private write(
    procedureId: string,
    alert: Alert,
    raisedAt: string,
    iso: (ms?: number) => string | null,
  ): void {
    this.upsertStatement.run({
      id: alert.id,
      procedureId,
      label: alert.label,
      modelId: alert.modelId,
      modelVersion: alert.modelVersion,
      firstFrameIndex: alert.firstFrameIndex,
      raisedFrameIndex: alert.raisedFrameIndex,
      firstSeenMs: alert.firstSeenMs,
      raisedAtMs: alert.raisedAtMs,
      raisedAt,
      bestScore: alert.bestScore,
      box: JSON.stringify(alert.box),
      shown: alert.shown ? 1 : 0,
      state: alert.state,
      acknowledgedBy: alert.acknowledgedBy ?? null,
      acknowledgedAt: iso(alert.acknowledgedAtMs),
      dismissedBy: alert.dismissedBy ?? null,
      dismissedAt: iso(alert.dismissedAtMs),
      endedAtMs: alert.endedAtMs ?? null,
    });
  }

  list(procedureId: string): Record<string, unknown>[] {
    return this.db
      .prepare('SELECT * FROM alerts WHERE procedure_id = ? ORDER BY raised_at_ms')
      .all(procedureId) as Record<string, unknown>[];
  }
}

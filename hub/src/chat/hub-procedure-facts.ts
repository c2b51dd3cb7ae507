import { analysisLine, type ProcedureFacts } from '@gic/shared/chat/procedure-facts.js';
import type { Queryable } from '../db/database.js';
import { loadTimeline } from '../procedures/procedure-timeline.js';
import type { Timeline } from '../procedures/procedure-view-types.js';

/** The chat's facts from a procedure's timeline (the one the review page draws) and its record. */
export function factsFromTimeline(
  procedureId: string,
  t: Timeline,
  p: { startedAtMs: number | null; ended: boolean; source: string | null; operator: string | null },
): ProcedureFacts {
  // Each frame is in the body when an in-body run covers it (both in axis order).
  let run = 0;
  const frames = t.quality.map((q) => {
    while (run < t.inBody.length && t.inBody[run]!.endMs <= q.tMs) run++;
    const r = t.inBody[run];
    return { tMs: q.tMs, quality: q.score, inBody: r !== undefined && r.startMs <= q.tMs };
  });
  const readings = (t.modelReadings ?? []).filter((r) => r.text !== null);
  return {
    procedureId,
    startMs: p.startedAtMs,
    ended: p.ended,
    source: p.source,
    operator: p.operator,
    durationMs: t.durationMs,
    frames,
    findings: t.findings.map(({ tMs, startMs, endMs, label, score }) => ({
      tMs,
      startMs,
      endMs,
      label,
      score,
    })),
    alerts: t.alerts.map((a) => ({
      id: a.id,
      tMs: a.tMs,
      label: a.label,
      score: a.score,
      state: a.state,
      by: a.dismissedBy ?? a.acknowledgedBy,
    })),
    cecumMs: t.landmarks.find((l) => l.name === 'cecum')?.tMs ?? null,
    withdrawal: t.withdrawal,
    // The VLM's last 5 readings where there are any; else the last 5 frames, with what the detector
    // found there (the finding runs covering them).
    analyses: readings.length
      ? readings.slice(-5).map((r) => ({ tMs: r.tMs, text: r.text! }))
      : frames.slice(-5).map((f) => ({
          tMs: f.tMs,
          text: analysisLine(
            f.inBody,
            f.quality,
            t.findings.filter((x) => x.startMs <= f.tMs && f.tMs < x.endMs),
          ),
        })),
  };
}

/** The chat's facts of a procedure from PostgreSQL; undefined for an unknown one. */
export function hubProcedureFacts(
  db: Queryable,
): (procedureId: string) => Promise<ProcedureFacts | undefined> {
  return async (procedureId) => {
    const [timeline, procedure] = await Promise.all([
      loadTimeline(db, procedureId),
      db.query<{
        started_at: Date | null;
        ended_at: Date | null;
        source_label: string | null;
        operator: string | null;
      }>('SELECT started_at, ended_at, source_label, operator FROM procedures WHERE id = $1', [procedureId]),
    ]);
    const p = procedure.rows[0];
    if (!timeline || !p) return undefined;
    return factsFromTimeline(procedureId, timeline, {
      startedAtMs: p.started_at?.getTime() ?? null,
      ended: p.ended_at !== null,
      source: p.source_label,
      operator: p.operator,
    });
  };
}

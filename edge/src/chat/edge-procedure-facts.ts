import { defaultQualityThresholds } from '@gic/shared/analysis/image-quality.js';
import {
  factsFromFrames,
  type ProcedureFacts,
  qualityFigure,
  type RawFrame,
} from '@gic/shared/chat/procedure-facts.js';
import { type FrameFindings, findingsLine } from '@gic/shared/vlm/frame-findings.js';
import type { EdgeDatabase } from '../store/edge-database.js';

/** Procedures whose frames are held in memory between questions (the one on the screen, and a few before). */
const HELD_PROCEDURES = 4;

interface FrameRow {
  frame_index: number;
  pts: number;
  created_at: string;
  in_body: number;
  sharpness: number;
  exposure: string;
  detections: string;
}

/**
 * The chat's facts of a procedure from the edge's SQLite store: its frames (only the parts the chat
 * reads, taken out of each analysis's JSON by SQLite), alerts and cecum. Undefined for an unknown one.
 * Frames are only ever added, so each question reads only those stored since the last one: an hour's
 * 18 000 rows are read once, not at every question.
 */
export function edgeProcedureFacts(
  db: EdgeDatabase,
): (procedureId: string) => Promise<ProcedureFacts | undefined> {
  const procedure = db.prepare(
    'SELECT started_at, ended_at, cecum_reached_at, source_label, operator FROM procedures WHERE id = ?',
  );
  const frames = db.prepare(
    `SELECT frame_index, json_extract(analysis, '$.ptsMs') AS pts, created_at,
            json_extract(analysis, '$.quality.inBody') AS in_body,
            json_extract(analysis, '$.quality.sharpness') AS sharpness,
            json_extract(analysis, '$.quality.exposure') AS exposure,
            json_extract(analysis, '$.detections') AS detections
       FROM frame_analyses WHERE procedure_id = ? AND frame_index > ? ORDER BY frame_index`,
  );
  const alerts = db.prepare(
    `SELECT id, label, best_score, state, coalesce(dismissed_by, acknowledged_by) AS by, raised_at
       FROM alerts WHERE procedure_id = ? ORDER BY raised_at`,
  );
  // The model's latest readings of frames (edge/src/findings): the chat's "latest frame analyses"
  // where there are any; the detector's otherwise.
  const vlmFindings = db.prepare(
    `SELECT at, findings FROM frame_findings WHERE procedure_id = ? AND findings IS NOT NULL
       ORDER BY at DESC LIMIT 5`,
  );
  const { minSharpness } = defaultQualityThresholds;
  const held = new Map<string, { lastIndex: number; frames: RawFrame[] }>();
  const framesOf = (procedureId: string): RawFrame[] => {
    let h = held.get(procedureId);
    if (!h) {
      if (held.size >= HELD_PROCEDURES) held.delete(held.keys().next().value!);
      h = { lastIndex: -1, frames: [] };
      held.set(procedureId, h);
    }
    for (const f of frames.all(procedureId, h.lastIndex) as FrameRow[]) {
      h.lastIndex = f.frame_index;
      h.frames.push({
        ptsMs: f.pts,
        atMs: Date.parse(f.created_at),
        inBody: f.in_body === 1,
        quality: qualityFigure({ sharpness: f.sharpness, exposure: f.exposure }, minSharpness),
        detections: (JSON.parse(f.detections) as { label: string; score: number }[]).map((d) => ({
          label: d.label,
          score: d.score,
        })),
      });
    }
    return h.frames;
  };
  return async (procedureId) => {
    const p = procedure.get(procedureId) as
      | {
          started_at: string;
          ended_at: string | null;
          cecum_reached_at: string | null;
          source_label: string;
          operator: string | null;
        }
      | undefined;
    if (!p) return undefined;
    const ms = (iso: string | null) => (iso === null ? null : Date.parse(iso));
    const readings = (vlmFindings.all(procedureId) as { at: string; findings: string }[]).reverse();
    return factsFromFrames({
      ...(readings.length
        ? {
            analyses: readings.map((r) => ({
              atMs: Date.parse(r.at),
              text: findingsLine(JSON.parse(r.findings) as FrameFindings),
            })),
          }
        : {}),
      procedureId,
      startedAtMs: ms(p.started_at),
      endedAtMs: ms(p.ended_at),
      cecumAtMs: ms(p.cecum_reached_at),
      source: p.source_label,
      operator: p.operator,
      frames: framesOf(procedureId),
      alerts: (
        alerts.all(procedureId) as {
          id: string;
          label: string;
          best_score: number;
          state: string;
          by: string | null;
          raised_at: string;
        }[]
      ).map((a) => ({
        id: a.id,
        label: a.label,
        score: a.best_score,
        state: a.state,
        by: a.by,
        raisedAtMs: Date.parse(a.raised_at),
      })),
    });
  };
}

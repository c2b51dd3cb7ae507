import type { FrameAnalysis } from '@gic/shared/messages/events.js';
import type { Queryable } from '../db/database.js';
import type { VideoSummary } from './summary-builder.js';

export interface BatchFrameRow {
  frame_index: number;
  t_ms: number;
  motion: number;
  object_key: string | null;
  analysis: FrameAnalysis | null;
}

/** Forgets what an earlier attempt of the extract stage sampled (a retry starts it over). */
export async function clearFrames(db: Queryable, runId: string): Promise<void> {
  await db.query('DELETE FROM batch_frames WHERE run_id = $1', [runId]);
}

export async function insertFrames(
  db: Queryable,
  runId: string,
  /** `key`: where the frame's picture is kept; null when it is not (only its analysis is). */
  frames: { index: number; tMs: number; motion: number; key: string | null }[],
): Promise<void> {
  if (frames.length === 0) return;
  await db.query(
    `INSERT INTO batch_frames (run_id, frame_index, t_ms, motion, object_key)
     SELECT $1, * FROM unnest($2::int[], $3::int[], $4::real[], $5::text[])
     ON CONFLICT (run_id, frame_index) DO UPDATE SET t_ms = EXCLUDED.t_ms, motion = EXCLUDED.motion,
       object_key = EXCLUDED.object_key, analysis = NULL`,
    [
      runId,
      frames.map((f) => f.index),
      frames.map((f) => f.tMs),
      frames.map((f) => f.motion),
      frames.map((f) => f.key),
    ],
  );
}

export async function framesOf(db: Queryable, runId: string): Promise<BatchFrameRow[]> {
  const { rows } = await db.query<BatchFrameRow>(
    'SELECT frame_index, t_ms, motion, object_key, analysis FROM batch_frames WHERE run_id = $1 ORDER BY frame_index',
    [runId],
  );
  return rows;
}

export async function saveAnalyses(db: Queryable, runId: string, analyses: FrameAnalysis[]): Promise<void> {
  await db.query(
    `UPDATE batch_frames b SET analysis = a.analysis
       FROM unnest($2::int[], $3::jsonb[]) AS a(frame_index, analysis)
      WHERE b.run_id = $1 AND b.frame_index = a.frame_index`,
    [runId, analyses.map((a) => a.frameIndex), analyses.map((a) => JSON.stringify(a))],
  );
}

/** The sampled frames' objects are gone (analysed); the analyses stay. */
export async function forgetFrameObjects(db: Queryable, runId: string): Promise<void> {
  await db.query('UPDATE batch_frames SET object_key = NULL WHERE run_id = $1', [runId]);
}

export async function replaceKeyframes(
  db: Queryable,
  runId: string,
  procedureId: string,
  frames: { tMs: number; reason: string; key: string }[],
): Promise<void> {
  await db.query('DELETE FROM keyframes WHERE run_id = $1', [runId]);
  for (const f of frames) {
    await db.query(
      'INSERT INTO keyframes (run_id, procedure_id, t_ms, reason, object_key) VALUES ($1, $2, $3, $4, $5)',
      [runId, procedureId, f.tMs, f.reason, f.key],
    );
  }
}

/** The key frames of the procedure's latest run that has them (not yet purged). */
export async function latestKeyframes(
  db: Queryable,
  procedureId: string,
): Promise<{ t_ms: number; reason: string; object_key: string }[]> {
  const { rows } = await db.query<{ t_ms: number; reason: string; object_key: string }>(
    `SELECT k.t_ms, k.reason, k.object_key FROM keyframes k
      WHERE k.procedure_id = $1 AND k.deleted_at IS NULL
        AND k.run_id = (SELECT run_id FROM keyframes WHERE procedure_id = $1 AND deleted_at IS NULL
                         ORDER BY (SELECT created_at FROM processing_runs WHERE id = run_id) DESC LIMIT 1)
      ORDER BY k.t_ms`,
    [procedureId],
  );
  return rows;
}

export async function saveSummary(db: Queryable, procedureId: string, runId: string, summary: VideoSummary) {
  await db.query(
    `INSERT INTO video_summaries (procedure_id, run_id, summary) VALUES ($1, $2, $3)
     ON CONFLICT (procedure_id) DO UPDATE SET run_id = EXCLUDED.run_id, summary = EXCLUDED.summary, created_at = now()`,
    [procedureId, runId, JSON.stringify(summary)],
  );
}

export async function findSummary(db: Queryable, procedureId: string): Promise<VideoSummary | undefined> {
  const { rows } = await db.query<{ summary: VideoSummary }>(
    'SELECT summary FROM video_summaries WHERE procedure_id = $1',
    [procedureId],
  );
  return rows[0]?.summary;
}

import type { Queryable } from '../db/database.js';

export const STAGES = ['extract', 'analyse', 'summary', 'export'] as const;
export type StageName = (typeof STAGES)[number];
export type RunState = 'waiting' | 'active' | 'completed' | 'failed' | 'cancelled';

/** Where each stage sits in the run's overall progress (percent): the seed's split. */
export const STAGE_SPAN: Record<StageName, [number, number]> = {
  extract: [0, 30],
  analyse: [30, 80],
  summary: [80, 90],
  export: [90, 100],
};

export interface RunRow {
  id: string;
  procedure_id: string;
  state: RunState;
  stage: StageName | null;
  requested_by: string | null;
  error: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

export interface StageRow {
  run_id: string;
  name: StageName;
  state: RunState;
  progress: number;
  attempts: number;
  job_id: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  error: string | null;
}

export async function insertRun(db: Queryable, id: string, procedureId: string, by: string): Promise<void> {
  await db.query(
    `INSERT INTO processing_runs (id, procedure_id, state, stage, requested_by) VALUES ($1, $2, 'waiting', 'extract', $3)`,
    [id, procedureId, by],
  );
  for (const name of STAGES) {
    await db.query(`INSERT INTO processing_stages (run_id, name, state) VALUES ($1, $2, 'waiting')`, [
      id,
      name,
    ]);
  }
}

export async function findRun(db: Queryable, id: string): Promise<RunRow | undefined> {
  const { rows } = await db.query<RunRow>('SELECT * FROM processing_runs WHERE id = $1', [id]);
  return rows[0];
}

export async function latestRun(db: Queryable, procedureId: string): Promise<RunRow | undefined> {
  const { rows } = await db.query<RunRow>(
    'SELECT * FROM processing_runs WHERE procedure_id = $1 ORDER BY created_at DESC LIMIT 1',
    [procedureId],
  );
  return rows[0];
}

/** The last run of a procedure whose stages got as far as `stage` (a completed analysis to export, say). */
export async function latestRunWith(
  db: Queryable,
  procedureId: string,
  stage: StageName,
): Promise<RunRow | undefined> {
  const { rows } = await db.query<RunRow>(
    `SELECT r.* FROM processing_runs r JOIN processing_stages s ON s.run_id = r.id AND s.name = $2
      WHERE r.procedure_id = $1 AND s.state = 'completed' ORDER BY r.created_at DESC LIMIT 1`,
    [procedureId, stage],
  );
  return rows[0];
}

export async function stagesOf(db: Queryable, runId: string): Promise<StageRow[]> {
  const { rows } = await db.query<StageRow>('SELECT * FROM processing_stages WHERE run_id = $1', [runId]);
  return STAGES.map((n) => rows.find((r) => r.name === n)!).filter(Boolean);
}

export async function setStageJob(db: Queryable, runId: string, stage: StageName, jobId: string | null) {
  await db.query('UPDATE processing_stages SET job_id = $3 WHERE run_id = $1 AND name = $2', [
    runId,
    stage,
    jobId,
  ]);
}

/** A stage's attempt begins; false when the run is no longer going (cancelled, failed for good). */
export async function beginStage(db: Queryable, runId: string, stage: StageName): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE processing_runs SET state = 'active', stage = $2, error = NULL, finished_at = NULL, updated_at = now()
      WHERE id = $1 AND state IN ('waiting', 'active', 'failed')`,
    [runId, stage],
  );
  if (rowCount !== 1) return false;
  await db.query(
    `UPDATE processing_stages SET state = 'active', attempts = attempts + 1, error = NULL, progress = 0,
            started_at = coalesce(started_at, now()), finished_at = NULL
      WHERE run_id = $1 AND name = $2`,
    [runId, stage],
  );
  return true;
}

export async function setStageProgress(db: Queryable, runId: string, stage: StageName, progress: number) {
  await db.query(
    `UPDATE processing_stages SET progress = $3 WHERE run_id = $1 AND name = $2 AND state = 'active'`,
    [runId, stage, Math.max(0, Math.min(1, progress))],
  );
  await db.query('UPDATE processing_runs SET updated_at = now() WHERE id = $1', [runId]);
}

/**
 * Progress of a stage whose work an earlier stage does ahead of it (analysis overlapped with
 * extraction): the stage stays waiting, and its own attempt takes the progress on from there.
 */
export async function setWaitingStageProgress(
  db: Queryable,
  runId: string,
  stage: StageName,
  progress: number,
) {
  await db.query(
    `UPDATE processing_stages SET progress = $3 WHERE run_id = $1 AND name = $2 AND state = 'waiting'`,
    [runId, stage, Math.max(0, Math.min(1, progress))],
  );
}

export async function completeStage(db: Queryable, runId: string, stage: StageName, last: boolean) {
  await db.query(
    `UPDATE processing_stages SET state = 'completed', progress = 1, finished_at = now()
      WHERE run_id = $1 AND name = $2`,
    [runId, stage],
  );
  await db.query(
    `UPDATE processing_runs SET state = $2, updated_at = now(), finished_at = CASE WHEN $2 = 'completed' THEN now() END
      WHERE id = $1 AND state = 'active'`,
    [runId, last ? 'completed' : 'waiting'],
  );
}

/** An attempt failed: `final` when no retry follows (then the run fails, with the reason). */
export async function failStage(
  db: Queryable,
  runId: string,
  stage: StageName,
  error: string,
  final: boolean,
) {
  await db.query(
    `UPDATE processing_stages SET state = $3, error = $4, finished_at = CASE WHEN $3 = 'failed' THEN now() END
      WHERE run_id = $1 AND name = $2 AND state <> 'cancelled'`,
    [runId, stage, final ? 'failed' : 'waiting', error],
  );
  await db.query(
    `UPDATE processing_runs SET state = $2, error = $3, updated_at = now(),
            finished_at = CASE WHEN $2 = 'failed' THEN now() END
      WHERE id = $1 AND state IN ('active', 'waiting')`,
    [runId, final ? 'failed' : 'waiting', error],
  );
}

/** Cancels a run that has not finished; returns the job ids of its stages to cancel in the queue. */
export async function cancelRun(db: Queryable, runId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE processing_runs SET state = 'cancelled', finished_at = now(), updated_at = now()
      WHERE id = $1 AND state IN ('waiting', 'active')`,
    [runId],
  );
  await db.query(
    `UPDATE processing_stages SET state = 'cancelled', finished_at = now()
      WHERE run_id = $1 AND state IN ('waiting', 'active')`,
    [runId],
  );
  return rowCount === 1;
}

export async function runState(db: Queryable, runId: string): Promise<RunState | undefined> {
  const { rows } = await db.query<{ state: RunState }>('SELECT state FROM processing_runs WHERE id = $1', [
    runId,
  ]);
  return rows[0]?.state;
}

import type { FrameAnalysis } from '@gic/shared/messages/events.js';
import type { Database } from '../db/database.js';
import { findVideo } from '../videos/videos-repo.js';
import type { StageContext } from './batch-processor.js';
import { framesOf, saveSummary } from './results-repo.js';
import { buildSummary } from './summary-builder.js';

/** When the cecum was reached, in ms from the start of the procedure's video (rooms mark it; uploads cannot). */
async function cecumMs(db: Database, procedureId: string): Promise<number | null> {
  const { rows } = await db.query<{ ms: number | null }>(
    `SELECT (EXTRACT(epoch FROM (cecum_reached_at - started_at)) * 1000)::float8 AS ms FROM procedures WHERE id = $1`,
    [procedureId],
  );
  const ms = rows[0]?.ms;
  return ms === null || ms === undefined || ms < 0 ? null : ms;
}

/** Stage 3: findings, quality over time, withdrawal, phases and notes from the run's analyses. */
export async function summaryStage(ctx: StageContext, db: Database): Promise<void> {
  const analyses = (await framesOf(db, ctx.runId)).flatMap((r) =>
    r.analysis ? [r.analysis as FrameAnalysis] : [],
  );
  if (analyses.length === 0) throw new Error('the run has no analysed frames');
  const video = await findVideo(db, ctx.procedureId);
  const durationMs = Number(video?.duration_ms ?? analyses.at(-1)!.ptsMs);
  await saveSummary(
    db,
    ctx.procedureId,
    ctx.runId,
    buildSummary(analyses, durationMs, await cecumMs(db, ctx.procedureId)),
  );
}

import { randomUUID } from 'node:crypto';
import type { Logger } from '@gic/shared/logging/logger.js';
import type { Database } from '../db/database.js';
import type { JobMeta, JobName, JobQueue, JobSendOptions } from '../jobs/job-queue.js';
import {
  beginStage,
  cancelRun,
  completeStage,
  failStage,
  findRun,
  insertRun,
  latestRun,
  runState,
  STAGES,
  type StageName,
  setStageJob,
  setStageProgress,
  stagesOf,
} from './processing-repo.js';
import { type RunStatus, runStatus } from './run-status.js';

/** Thrown inside a stage when its run was cancelled: the stage stops, and its job ends without error. */
export class RunCancelled extends Error {
  constructor(runId: string) {
    super(`run ${runId} was cancelled`);
    this.name = 'RunCancelled';
  }
}

/** What a stage's work gets: its run, and a progress report that also stops it once cancelled. */
export interface StageContext {
  runId: string;
  procedureId: string;
  log: Logger;
  /** This stage's share done (0..1); written at most once a second; throws RunCancelled once cancelled. */
  progress(share: number): Promise<void>;
  /** Throws RunCancelled once the run is cancelled. */
  checkCancelled(): Promise<void>;
}

const JOB_OF: Record<StageName, JobName> = {
  extract: 'video-extract',
  analyse: 'video-analyse',
  summary: 'video-summary',
  export: 'video-export',
};

/** How often a running stage writes its progress and looks for a cancel (ms). */
const PROGRESS_EVERY_MS = 1000;

/**
 * Batch processing runs: each stage is a pg-boss job that, once done, queues the next. Retries are
 * pg-boss's; each failed attempt's reason is kept on the stage, and the run fails with it once no
 * retry is left. An admin's retry of the failed job picks the run up again where it stopped.
 */
export class BatchProcessor {
  constructor(
    private readonly db: Database,
    private readonly jobs: JobQueue,
    private readonly log: Logger,
    /** Retries and the time one attempt may take before it counts as crashed. */
    private readonly jobOptions: JobSendOptions,
  ) {}

  /** Starts a new run for the procedure (a re-run leaves earlier ones as they are). */
  async start(procedureId: string, requestedBy: string): Promise<string> {
    const runId = randomUUID();
    await insertRun(this.db, runId, procedureId, requestedBy);
    await this.enqueue(runId, 'extract');
    this.log.info({ runId, procedureId, requestedBy }, 'processing queued');
    return runId;
  }

  /** Queues a stage of a run; the export stage's job names its export. */
  async enqueue(runId: string, stage: StageName, exportId?: string): Promise<void> {
    const name = JOB_OF[stage];
    const jobId =
      name === 'video-export'
        ? await this.jobs.send(name, { exportId: exportId!, runId }, this.jobOptions)
        : await this.jobs.send(name as 'video-extract', { runId }, this.jobOptions);
    await setStageJob(this.db, runId, stage, jobId);
  }

  /** Cancels the procedure's running (or waiting) run; false when none is going. */
  async cancel(procedureId: string): Promise<boolean> {
    const run = await latestRun(this.db, procedureId);
    if (!run || !(await cancelRun(this.db, run.id))) return false;
    for (const s of await stagesOf(this.db, run.id)) {
      if (s.job_id) await this.jobs.cancel(JOB_OF[s.name], s.job_id).catch(() => {});
    }
    this.log.info({ runId: run.id, procedureId }, 'processing cancelled');
    return true;
  }

  async status(procedureId: string): Promise<RunStatus> {
    const run = await latestRun(this.db, procedureId);
    return runStatus(run, run ? await stagesOf(this.db, run.id) : []);
  }

  /**
   * A job handler for `stage`: marks the attempt, runs `work`, and on success queues the next stage
   * (`next` may prepare it, the export stage's export record say). A cancelled run stops quietly.
   */
  stageHandler<P extends { runId?: string }>(
    stage: StageName,
    work: (ctx: StageContext, payload: P) => Promise<void>,
    next?: (runId: string, procedureId: string) => Promise<string | undefined>,
  ): (payload: P, meta: JobMeta) => Promise<void> {
    return async (payload, meta) => {
      const { runId } = payload;
      if (!runId) return;
      const run = await findRun(this.db, runId);
      if (!run || run.state === 'cancelled' || run.state === 'completed') return;
      if (!(await beginStage(this.db, runId, stage))) return;
      const log = this.log.child({ runId, stage, attempt: meta.retryCount + 1 });
      let last = 0;
      const checkCancelled = async () => {
        if ((await runState(this.db, runId)) === 'cancelled') throw new RunCancelled(runId);
      };
      const ctx: StageContext = {
        runId,
        procedureId: run.procedure_id,
        log,
        checkCancelled,
        progress: async (share) => {
          if (Date.now() - last < PROGRESS_EVERY_MS) return;
          last = Date.now();
          await checkCancelled();
          await setStageProgress(this.db, runId, stage, share);
        },
      };
      const started = performance.now();
      try {
        await work(ctx, payload);
      } catch (err) {
        if (err instanceof RunCancelled) {
          log.info('stage stopped: run cancelled');
          return;
        }
        const final = meta.retryCount >= meta.retryLimit;
        const reason = (err as Error).message?.slice(0, 2000) || String(err);
        await failStage(this.db, runId, stage, reason, final);
        log.error({ err, final }, final ? 'stage failed, no retry left' : 'stage failed, will retry');
        throw err;
      }
      const index = STAGES.indexOf(stage);
      const isLast = index === STAGES.length - 1;
      await completeStage(this.db, runId, stage, isLast);
      log.info({ ms: Math.round(performance.now() - started) }, 'stage done');
      if (!isLast) {
        const following = STAGES[index + 1]!;
        const exportId = next ? await next(runId, run.procedure_id) : undefined;
        await this.enqueue(runId, following, exportId);
      }
    };
  }
}

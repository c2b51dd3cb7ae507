import PgBoss from 'pg-boss';

/** Job name -> payload. Each name has one idempotent handler. */
export interface JobPayloads {
  /** Compute a finished upload's SHA-256 in the object store and mark it available or corrupt. */
  'verify-recording': { recordingId: string };
  /** Abort multipart uploads with no progress for a day (scheduled hourly). */
  'abort-stale-uploads': Record<string, never>;
  /** Batch processing, stage 1: frames sampled from the video in the object store. */
  'video-extract': { runId: string };
  /** Stage 2: the frames analysed; for an upload, the de-identified copy made and verified. */
  'video-analyse': { runId: string };
  /** Stage 3: findings, quality, withdrawal, phases and notes. */
  'video-summary': { runId: string };
  /** Stage 4 (or on request): the export bundle. `runId` when part of a run. */
  'video-export': { exportId: string; runId?: string };
  /** Daily: what the retention policies say is due, deleted and recorded. */
  'retention-purge': Record<string, never>;
}
export type JobName = keyof JobPayloads;
export const JOB_NAMES: JobName[] = [
  'verify-recording',
  'abort-stale-uploads',
  'video-extract',
  'video-analyse',
  'video-summary',
  'video-export',
  'retention-purge',
];

/** What a handler knows of its job: which attempt this is, and whether another follows a failure. */
export interface JobMeta {
  id: string;
  /** Retries so far (0 on the first attempt). */
  retryCount: number;
  retryLimit: number;
}

export interface JobSendOptions {
  retryLimit?: number;
  /**
   * pg-boss's own limit on one attempt (s): past it, pg-boss gives the handler up (without stopping
   * it) and retries the job. Crashed workers are found sooner, by their missing heartbeat.
   */
  expireInSeconds?: number;
}

export interface QueueStats {
  name: string;
  paused: boolean;
  active: number;
  waiting: number;
  failed: number;
  failedJobs: { id: string; error: string | null; failedAt: string | null; data: unknown }[];
}

/** pg-boss's limit on one attempt (s): 23 h, under its 24 h ceiling; dead workers are found by heartbeat. */
const ATTEMPT_LIMIT_S = 23 * 3600;

type Handler = (payload: never, meta: JobMeta) => Promise<void>;

/** pg-boss on the hub's PostgreSQL: any number of worker processes share the queues. */
export class JobQueue {
  private readonly handlers = new Map<JobName, Handler>();
  private readonly paused = new Set<string>();
  /** This process's pg-boss worker of each queue it works, woken when this process sends to it. */
  private readonly workers = new Map<JobName, string>();

  private reaper: NodeJS.Timeout | undefined;

  private constructor(
    private readonly boss: PgBoss,
    private readonly heartbeatMs: number,
    private readonly pollingIntervalSeconds: number,
  ) {}

  /**
   * Heartbeats: while a handler runs, its job's `started_on` is moved on every `heartbeatSeconds`;
   * every `maintenanceIntervalSeconds` each queue process fails (so pg-boss retries) the active jobs
   * whose heartbeat is older than `deadAfterSeconds`: their worker died. pg-boss's own expiry can
   * only count from the start, so long work would be taken as crashed; it is set far out instead.
   */
  static async start(
    connectionString: string,
    onError: (err: Error) => void,
    options: {
      maintenanceIntervalSeconds?: number;
      heartbeatSeconds?: number;
      deadAfterSeconds?: number;
      /**
       * How often an idle worker looks for jobs sent by other processes (s, at least 0.5). A job sent
       * by this process wakes its worker here at once.
       */
      pollingIntervalSeconds?: number;
    } = {},
  ): Promise<JobQueue> {
    const boss = new PgBoss({
      connectionString,
      schema: 'pgboss',
      max: 4,
      // How often expired (crashed) jobs are found and retried (s); pg-boss's default is 120.
      ...(options.maintenanceIntervalSeconds
        ? { maintenanceIntervalSeconds: options.maintenanceIntervalSeconds }
        : {}),
    });
    boss.on('error', onError);
    await boss.start();
    for (const name of JOB_NAMES) await boss.createQueue(name);
    const queue = new JobQueue(
      boss,
      (options.heartbeatSeconds ?? 10) * 1000,
      options.pollingIntervalSeconds ?? 0.5,
    );
    const deadAfter = options.deadAfterSeconds ?? 300;
    queue.reaper = setInterval(
      () => queue.failDead(deadAfter).catch(onError),
      (options.maintenanceIntervalSeconds ?? 60) * 1000,
    );
    return queue;
  }

  /** Fails active jobs with no heartbeat for `deadAfter` seconds (pg-boss then retries them). */
  private async failDead(deadAfter: number): Promise<void> {
    const { rows } = await this.boss
      .getDb()
      .executeSql(
        `SELECT id, name FROM pgboss.job WHERE state = 'active' AND started_on < now() - make_interval(secs => $1)`,
        [deadAfter],
      );
    for (const r of rows as { id: string; name: string }[]) {
      await this.boss.fail(r.name, r.id, { message: `no heartbeat for ${deadAfter} s: its worker stopped` });
    }
  }

  /**
   * Enqueues a job; retried (5 times by default) with backoff. Returns the job's id. When this process
   * works that queue, its worker is woken at once rather than at its next poll: the stages of a batch
   * run follow each other with no wait between them.
   */
  async send<N extends JobName>(
    name: N,
    payload: JobPayloads[N],
    options: JobSendOptions = {},
  ): Promise<string | null> {
    const id = await this.boss.send(name, payload, {
      retryLimit: options.retryLimit ?? 5,
      retryDelay: 5,
      retryBackoff: true,
      expireInSeconds: options.expireInSeconds ?? ATTEMPT_LIMIT_S,
    });
    const worker = this.workers.get(name);
    if (id && worker) this.boss.notifyWorker(worker);
    return id;
  }

  /** Runs `handler` for each job of `name`; a throw fails the job (and pg-boss retries it). */
  async work<N extends JobName>(
    name: N,
    handler: (payload: JobPayloads[N], meta: JobMeta) => Promise<void>,
  ): Promise<void> {
    this.handlers.set(name, handler as Handler);
    if (!this.paused.has(name)) await this.subscribe(name);
  }

  private async subscribe(name: JobName): Promise<void> {
    const handler = this.handlers.get(name)!;
    const worker = await this.boss.work<JobPayloads[typeof name]>(
      name,
      { pollingIntervalSeconds: this.pollingIntervalSeconds, includeMetadata: true },
      async (jobs) => {
        for (const job of jobs) {
          // pg-boss 10 has no heartbeat of its own: started_on, kept fresh, serves as one (see failDead).
          const beat = setInterval(() => {
            this.boss
              .getDb()
              .executeSql(
                `UPDATE pgboss.job SET started_on = now() WHERE name = $1 AND id = $2 AND state = 'active'`,
                [name, job.id],
              )
              .catch(() => {}); // a missed beat or two is harmless; many mean the worker is gone
          }, this.heartbeatMs);
          try {
            await handler(job.data as never, {
              id: job.id,
              retryCount: job.retryCount,
              retryLimit: job.retryLimit,
            });
          } finally {
            clearInterval(beat);
          }
        }
      },
    );
    this.workers.set(name, worker);
  }

  /**
   * Stops or starts taking `name`'s jobs in this process (a job already running finishes). Queue pauses
   * are kept in PostgreSQL (see queue-pauses.ts) and applied here by every worker process.
   */
  async setPaused(name: JobName, paused: boolean): Promise<void> {
    if (paused === this.paused.has(name)) return;
    if (paused) {
      this.paused.add(name);
      this.workers.delete(name);
      if (this.handlers.has(name)) await this.boss.offWork(name);
    } else {
      this.paused.delete(name);
      if (this.handlers.has(name)) await this.subscribe(name);
    }
  }

  /** Runs `name` on a cron schedule (one run per slot across all workers: pg-boss keeps the schedule in PostgreSQL). */
  async schedule<N extends JobName>(name: N, cron: string, payload: JobPayloads[N]): Promise<void> {
    await this.boss.schedule(name, cron, payload);
  }

  /** Cancels a job that has not finished (a running handler sees its run cancelled and stops). */
  async cancel(name: JobName, id: string): Promise<void> {
    await this.boss.cancel(name, id);
  }

  /** Runs a failed job again. False when there is no such failed job. */
  async retry(name: JobName, id: string): Promise<boolean> {
    const job = await this.boss.getJobById(name, id);
    if (job?.state !== 'failed') return false;
    await this.boss.retry(name, id);
    return true;
  }

  /** Each queue's active, waiting and failed jobs (the last 20 failures with their reasons). */
  async stats(pausedQueues: Set<string>): Promise<QueueStats[]> {
    const db = this.boss.getDb();
    const counts = await db.executeSql(
      `SELECT name, state::text AS state, count(*)::int AS n FROM pgboss.job GROUP BY name, state`,
      [],
    );
    const failed = await db.executeSql(
      `SELECT id, name, data, output, completed_on FROM (
         SELECT *, row_number() OVER (PARTITION BY name ORDER BY completed_on DESC NULLS LAST) AS k
           FROM pgboss.job WHERE state = 'failed') f WHERE k <= 20`,
      [],
    );
    const count = (name: string, states: string[]) =>
      (counts.rows as { name: string; state: string; n: number }[])
        .filter((r) => r.name === name && states.includes(r.state))
        .reduce((sum, r) => sum + r.n, 0);
    return JOB_NAMES.map((name) => ({
      name,
      paused: pausedQueues.has(name),
      active: count(name, ['active']),
      waiting: count(name, ['created', 'retry']),
      failed: count(name, ['failed']),
      failedJobs: (
        failed.rows as {
          id: string;
          name: string;
          data: unknown;
          output: unknown;
          completed_on: Date | null;
        }[]
      )
        .filter((r) => r.name === name)
        .map((r) => ({
          id: r.id,
          error: failureText(r.output),
          failedAt: r.completed_on ? new Date(r.completed_on).toISOString() : null,
          data: r.data,
        })),
    }));
  }

  /** Stops taking jobs and waits for running ones (up to 30 s). */
  stop(): Promise<void> {
    clearInterval(this.reaper);
    return this.boss.stop({ graceful: true, timeout: 30_000 });
  }
}

/** pg-boss keeps a failed handler's error as `{message, stack}` (or whatever it threw). */
function failureText(output: unknown): string | null {
  if (output === null || output === undefined) return null;
  if (typeof output === 'object' && 'message' in output)
    return String((output as { message: unknown }).message);
  return JSON.stringify(output).slice(0, 1000);
}

import PgBoss from 'pg-boss';

/** Job name -> payload. Each name has one idempotent handler. */
export interface JobPayloads {
  /** Compute a finished upload's SHA-256 in the object store and mark it available or corrupt. */
  'verify-recording': { recordingId: string };
  /** Abort multipart uploads with no progress for a day (scheduled hourly). */
  'abort-stale-uploads': Record<string, never>;
}
export type JobName = keyof JobPayloads;
export const JOB_NAMES: JobName[] = ['verify-recording', 'abort-stale-uploads'];

/** pg-boss on the hub's PostgreSQL: any number of worker processes share the queues. */
export class JobQueue {
  private constructor(private readonly boss: PgBoss) {}

  static async start(connectionString: string, onError: (err: Error) => void): Promise<JobQueue> {
    const boss = new PgBoss({ connectionString, schema: 'pgboss', max: 4 });
    boss.on('error', onError);
    await boss.start();
    for (const name of JOB_NAMES) await boss.createQueue(name);
    return new JobQueue(boss);
  }

  /** Enqueues a job; retried up to 5 times with backoff. */
  send<N extends JobName>(name: N, payload: JobPayloads[N]): Promise<string | null> {
    return this.boss.send(name, payload, {
      retryLimit: 5,
      retryDelay: 5,
      retryBackoff: true,
      expireInSeconds: 3600,
    });
  }

  /** Runs `handler` for each job of `name`; a throw fails the job (and pg-boss retries it). */
  async work<N extends JobName>(name: N, handler: (payload: JobPayloads[N]) => Promise<void>): Promise<void> {
    await this.boss.work<JobPayloads[N]>(name, { pollingIntervalSeconds: 0.5 }, async (jobs) => {
      for (const job of jobs) await handler(job.data);
    });
  }

  /** Runs `name` on a cron schedule (one run per slot across all workers: pg-boss keeps the schedule in PostgreSQL). */
  async schedule<N extends JobName>(name: N, cron: string, payload: JobPayloads[N]): Promise<void> {
    await this.boss.schedule(name, cron, payload);
  }

  /** Stops taking jobs and waits for running ones (up to 30 s). */
  stop(): Promise<void> {
    return this.boss.stop({ graceful: true, timeout: 30_000 });
  }
}

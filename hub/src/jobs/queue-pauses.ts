import type { Logger } from '@gic/shared/logging/logger.js';
import type { Queryable } from '../db/database.js';
import { JOB_NAMES, type JobName, type JobQueue } from './job-queue.js';

/** Queues an admin paused (kept in PostgreSQL, so every worker process sees it). */
export async function pausedQueues(db: Queryable): Promise<Set<string>> {
  const { rows } = await db.query<{ queue: string }>('SELECT queue FROM job_queue_pauses');
  return new Set(rows.map((r) => r.queue));
}

export async function pauseQueue(db: Queryable, queue: JobName, by: string): Promise<void> {
  await db.query(
    'INSERT INTO job_queue_pauses (queue, paused_by) VALUES ($1, $2) ON CONFLICT (queue) DO NOTHING',
    [queue, by],
  );
}

export async function resumeQueue(db: Queryable, queue: JobName): Promise<void> {
  await db.query('DELETE FROM job_queue_pauses WHERE queue = $1', [queue]);
}

/**
 * Applies pauses to this process's workers: every `intervalMs` it reads the paused queues and stops
 * or restarts taking their jobs. Returns a stop function.
 */
export async function watchQueuePauses(
  db: Queryable,
  jobs: JobQueue,
  log: Logger,
  intervalMs = 2000, // how soon a pause reaches every worker
): Promise<() => void> {
  const apply = async () => {
    const paused = await pausedQueues(db);
    for (const name of JOB_NAMES) await jobs.setPaused(name, paused.has(name));
  };
  await apply();
  const timer = setInterval(() => {
    apply().catch((err) => log.warn({ err }, 'could not read paused queues'));
  }, intervalMs);
  return () => clearInterval(timer);
}

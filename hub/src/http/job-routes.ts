import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { audit } from '../audit/audit-log.js';
import type { Database } from '../db/database.js';
import { JOB_NAMES, type JobName, type JobQueue } from '../jobs/job-queue.js';
import { pausedQueues, pauseQueue, resumeQueue } from '../jobs/queue-pauses.js';
import { jobIdSchema } from '../videos/video-schemas.js';
import { allow, type UserAuth } from './auth-middleware.js';
import type { HubEnv } from './hub-env.js';

function queueName(name: string): JobName {
  if (!(JOB_NAMES as string[]).includes(name)) throw new HTTPException(404, { message: `no queue ${name}` });
  return name as JobName;
}

/**
 * The job queues for admins (`/api/v1/jobs`): each queue's active, waiting and failed jobs with the
 * reasons; pause and resume a queue (every worker process stops taking its jobs within seconds);
 * retry a failed job.
 */
export function jobRoutes(db: Database, jobs: JobQueue, auth: UserAuth) {
  return (
    new Hono<HubEnv>()
      // Each request's audit record is declared before the permission check, so refusals are recorded.
      .get('/', audit('job.list'))
      .post('/:queue/pause', audit('job.queue-pause', 'queue', 'queue'))
      .post('/:queue/resume', audit('job.queue-resume', 'queue', 'queue'))
      .post('/:queue/:jobId/retry', audit('job.retry', 'job', 'jobId'))
      .use('*', allow(auth, 'jobs.manage'))
      .get('/', async (c) => c.json({ queues: await jobs.stats(await pausedQueues(db)) }))
      .post('/:queue/pause', async (c) => {
        const queue = queueName(c.req.param('queue'));
        await pauseQueue(db, queue, c.get('user')!.username);
        c.get('log').info({ queue, by: c.get('user')!.username }, 'queue paused');
        return c.json({ queue, paused: true }, 202);
      })
      .post('/:queue/resume', async (c) => {
        const queue = queueName(c.req.param('queue'));
        await resumeQueue(db, queue);
        c.get('log').info({ queue, by: c.get('user')!.username }, 'queue resumed');
        return c.json({ queue, paused: false }, 202);
      })
      .post('/:queue/:jobId/retry', async (c) => {
        const queue = queueName(c.req.param('queue'));
        const id = jobIdSchema.safeParse(c.req.param('jobId'));
        if (!id.success || !(await jobs.retry(queue, id.data)))
          throw new HTTPException(404, { message: 'no such failed job in this queue' });
        c.get('log').info({ queue, jobId: id.data, by: c.get('user')!.username }, 'job retried');
        return c.json({ queue, jobId: id.data, retried: true }, 202);
      })
  );
}

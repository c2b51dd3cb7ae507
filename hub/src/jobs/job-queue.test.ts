import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/test-database.js';
import type { Database } from '../db/database.js';
import { JobQueue } from './job-queue.js';

describe('job queue heartbeat', () => {
  let db: Database;
  let jobs: JobQueue;
  let url: string;

  beforeAll(async () => {
    ({ db, url } = await createTestDatabase());
    // Dead jobs (no heartbeat for 3 s) are looked for every second; a running handler beats every second.
    jobs = await JobQueue.start(url, () => {}, {
      maintenanceIntervalSeconds: 1,
      heartbeatSeconds: 1,
      deadAfterSeconds: 3,
    });
  });
  afterAll(async () => {
    await jobs?.stop();
    await db?.end();
  });

  it('keeps a long job from expiring while its handler runs, so no second attempt starts beside it', async () => {
    const attempts: number[] = [];
    let finished = false;
    await jobs.work('retention-purge', async (_payload, meta) => {
      attempts.push(meta.retryCount);
      // Four times the silence that counts as a dead worker, and past pg-boss's retry delay (5 s): were
      // it taken as dead, a second attempt would start beside this one.
      await new Promise((r) => setTimeout(r, 12_000));
      finished = true;
    });
    await jobs.send('retention-purge', {}, { retryLimit: 3 });
    const end = Date.now() + 30_000;
    while (!finished && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1500));
    expect(finished).toBe(true);
    expect(attempts).toEqual([0]);
    const { rows } = await db.query<{ state: string }>(
      "SELECT state::text FROM pgboss.job WHERE name = 'retention-purge'",
    );
    expect(rows.map((r) => r.state)).toEqual(['completed']);
  }, 45_000);

  it('wakes its own worker for a job it sends, instead of waiting for the next poll', async () => {
    // Polling every 20 s: a job picked up within seconds was woken, not polled.
    const slow = await JobQueue.start(url, () => {}, { pollingIntervalSeconds: 20 });
    try {
      const started: number[] = [];
      await slow.work('abort-stale-uploads', async () => {
        started.push(Date.now());
      });
      await new Promise((r) => setTimeout(r, 500)); // its first poll has found nothing
      const sentAt = Date.now();
      await slow.send('abort-stale-uploads', {});
      const end = Date.now() + 10_000;
      while (started.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(started).toHaveLength(1);
      console.info(`job picked up ${started[0]! - sentAt} ms after it was sent (polling every 20 s)`);
      expect(started[0]! - sentAt).toBeLessThan(5_000);
    } finally {
      await slow.stop();
    }
  }, 30_000);
});

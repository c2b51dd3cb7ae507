import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMetrics } from '@gic/shared/http/metrics.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../test/helpers.js';
import { freePort } from '../../../test/ports.js';
import { createTestDatabase } from '../../../test/test-database.js';
import { ensureBootstrapAdmin } from '../auth/bootstrap-admin.js';
import { loadHubSecret } from '../auth/hub-secret.js';
import { hashPassword } from '../auth/passwords.js';
import { insertUserIfAbsent } from '../auth/users-repo.js';
import { BatchProcessor } from '../batch/batch-processor.js';
import { extractStage } from '../batch/extract-stage.js';
import type { Database } from '../db/database.js';
import { type EmbeddedS3Handle, startEmbeddedS3 } from '../embedded/embedded-s3.js';
import { ExportService } from '../exports/export-service.js';
import { JobQueue } from '../jobs/job-queue.js';
import { watchQueuePauses } from '../jobs/queue-pauses.js';
import type { ObjectStore } from '../storage/object-store.js';
import { embeddedStore } from '../testing/embedded-store.js';
import { VideoUploadService } from '../videos/video-upload-service.js';
import { createHubApp, type HubApp } from './hub-app.js';

const log = createLogger('test', 'silent');

describe('jobs API and batch run failures', () => {
  let db: Database;
  let s3: EmbeddedS3Handle;
  let store: ObjectStore;
  let jobs: JobQueue;
  let app: HubApp;
  let stopWatching: () => void;
  const tokens: Record<string, string> = {};
  const purges: number[] = [];

  const send = (method: string, path: string, token: string) =>
    app.request(path, { method, headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    let url: string;
    ({ db, url } = await createTestDatabase());
    const dir = mkdtempSync(join(tmpdir(), 'gic-job-routes-'));
    chmodSync(dir, 0o711);
    s3 = await startEmbeddedS3(join(dir, 's3'), await freePort(), 'gic-test');
    store = embeddedStore(s3);
    jobs = await JobQueue.start(url, () => {});
    const secret = await loadHubSecret(db);
    await ensureBootstrapAdmin(db, dir, log, 'admin-password-123');
    // Given a site: what they upload goes there, and they see it (auth/site-scope.ts).
    await insertUserIfAbsent(db, 'rita', await hashPassword('reviewer-password'), 'reviewer', {
      sites: ['main'],
    });
    const processor = new BatchProcessor(db, jobs, log, { retryLimit: 0 });
    // The real extract stage, on a room procedure with no recording: it fails, with its reason.
    await jobs.work(
      'video-extract',
      processor.stageHandler('extract', (ctx) =>
        extractStage(ctx, {
          db,
          store,
          options: {
            sampleFps: 1,
            maxFps: 3,
            maxWidth: 640,
            batchSize: 2,
            keyframeEveryS: 30,
            textScan: 'uploads',
          },
          // It fails before it would analyse a frame.
          analyzer: () => Promise.reject(new Error('no engine in this test')),
        }),
      ),
    );
    await jobs.work('retention-purge', async () => {
      purges.push(Date.now());
    });
    stopWatching = await watchQueuePauses(db, jobs, log, 100);
    app = createHubApp({
      log,
      metrics: createMetrics('gic_hub_jobs_test'),
      db,
      store,
      secret,
      api: {
        jobs,
        mqttPublicUrl: 'mqtt://hub.example:1883',
        hubPublicUrl: 'http://hub.example:8080',
        videos: {
          uploads: new VideoUploadService(db, store, log, { maxBytes: 1024, partBytes: 1024 }),
          processor,
          exports: new ExportService(db, store, jobs, log, { deviceNames: false, job: { retryLimit: 0 } }),
          urlTtlSeconds: 60,
        },
      },
      gpu: () => ({}),
    });
    for (const [name, password] of [
      ['admin', 'admin-password-123'],
      ['rita', 'reviewer-password'],
    ] as const) {
      const res = await app.request('/api/v1/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: name, password }),
      });
      tokens[name] = ((await res.json()) as { accessToken: string }).accessToken;
    }
    await db.query(
      `INSERT INTO devices (id, name, public_jwk, site) VALUES ('edge-room1', 'Room 1', '{}'::jsonb, 'main');
       INSERT INTO procedures (id, device_id, started_at, ended_at)
       VALUES ('11111111-1111-4111-8111-111111111111', 'edge-room1', now() - interval '10 minutes', now());`,
    );
  }, 120_000);
  afterAll(async () => {
    stopWatching?.();
    await jobs?.stop();
    store?.close();
    await s3?.stop();
    await db?.end();
  });

  it('records why a stage failed, lists the failed job for admins, and an admin retry runs it again', async () => {
    const id = '11111111-1111-4111-8111-111111111111';
    // A room's procedure is a video too; a reviewer re-runs processing on it.
    const video = await (await send('GET', `/api/v1/videos/${id}`, tokens.rita!)).json();
    expect(video).toMatchObject({ id, source: 'room', durationMs: 600_000, createdBy: null });
    const started = await send('POST', `/api/v1/videos/${id}/process`, tokens.rita!);
    expect(started.status).toBe(202);
    const status = await until('the run to fail', async () => {
      const s = await (await send('GET', `/api/v1/videos/${id}/status`, tokens.rita!)).json();
      return s.state === 'failed' ? s : undefined;
    });
    expect(status.stages[0]).toMatchObject({
      name: 'extract',
      state: 'failed',
      error: 'the procedure has no verified recording to process',
    });

    expect((await send('GET', '/api/v1/jobs', tokens.rita!)).status).toBe(403);
    const listed = await (await send('GET', '/api/v1/jobs', tokens.admin!)).json();
    const extract = listed.queues.find((q: { name: string }) => q.name === 'video-extract');
    expect(extract).toMatchObject({ paused: false, failed: 1, active: 0 });
    expect(extract.failedJobs[0]).toMatchObject({
      error: 'the procedure has no verified recording to process',
      data: { runId: status.runId },
    });
    const jobId = extract.failedJobs[0].id as string;

    expect((await send('POST', `/api/v1/jobs/video-extract/${jobId}/retry`, tokens.rita!)).status).toBe(403);
    expect((await send('POST', '/api/v1/jobs/no-such-queue/pause', tokens.admin!)).status).toBe(404);
    expect(
      (
        await send(
          'POST',
          '/api/v1/jobs/video-extract/00000000-0000-4000-8000-000000000000/retry',
          tokens.admin!,
        )
      ).status,
    ).toBe(404);
    expect((await send('POST', `/api/v1/jobs/video-extract/${jobId}/retry`, tokens.admin!)).status).toBe(202);
    // The retry takes the run up again (and, the recording still missing, it fails again, a second attempt).
    await until('the retried attempt', async () => {
      const { rows } = await db.query<{ attempts: number; state: string }>(
        "SELECT attempts, state FROM processing_stages WHERE run_id = $1 AND name = 'extract'",
        [status.runId],
      );
      return rows[0]!.attempts === 2 && rows[0]!.state === 'failed' ? true : undefined;
    });
    // A new run may be started once the last one has failed.
    expect((await send('POST', `/api/v1/videos/${id}/process`, tokens.rita!)).status).toBe(202);
  });

  it('pauses a queue in every worker until an admin resumes it', async () => {
    expect((await send('POST', '/api/v1/jobs/retention-purge/pause', tokens.admin!)).status).toBe(202);
    await new Promise((r) => setTimeout(r, 500)); // the watcher applies it within 100 ms
    await jobs.send('retention-purge', {});
    await new Promise((r) => setTimeout(r, 2000));
    expect(purges).toHaveLength(0);
    const listed = await (await send('GET', '/api/v1/jobs', tokens.admin!)).json();
    expect(listed.queues.find((q: { name: string }) => q.name === 'retention-purge')).toMatchObject({
      paused: true,
      waiting: 1,
    });
    expect((await send('POST', '/api/v1/jobs/retention-purge/resume', tokens.admin!)).status).toBe(202);
    await until('the waiting job to run', () => (purges.length === 1 ? true : undefined), 15_000);
  });
});

import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEdgeConfig } from '@gic/edge/config.js';
import { type RunningEdge, startEdge } from '@gic/edge/edge-process.js';
import { loadHubConfig } from '@gic/hub/config.js';
import { type EmbeddedS3Handle, startEmbeddedS3 } from '@gic/hub/embedded/embedded-s3.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { generateSampleVideo, SAMPLE_OSD_MASKS } from '@gic/shared/media/sample-video.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolmentToken } from './helpers.js';
import { freePort } from './ports.js';
import { createTestDatabase } from './test-database.js';

const log = createLogger('scale-out', 'warn');

describe('hub roles in separate processes share one database, store and broker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-roles-'));
  chmodSync(dir, 0o711);
  let s3: EmbeddedS3Handle;
  let messaging: RunningHub;
  let api: RunningHub;
  let edge: RunningEdge;

  beforeAll(async () => {
    const clip = join(dir, 'clip.mp4');
    await generateSampleVideo(clip, { seconds: 2 });
    const { url, db } = await createTestDatabase();
    await db.end();
    s3 = await startEmbeddedS3(join(dir, 's3'), await freePort(), 'gic-recordings');
    const [mqtt, httpA, httpB, edgePort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const shared = {
      DATABASE_URL: url,
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    };
    messaging = await startHub(
      loadHubConfig({
        ...shared,
        GIC_HUB_ROLES: 'broker,ingest',
        GIC_MQTT_PORT: String(mqtt),
        GIC_HUB_PORT: String(httpA),
        GIC_HUB_DATA_DIR: join(dir, 'a'),
      }),
      log.child({ process: 'a' }),
    );
    api = await startHub(
      loadHubConfig({
        ...shared,
        GIC_HUB_ROLES: 'api,worker',
        MQTT_URL: `mqtt://127.0.0.1:${mqtt}`,
        GIC_HUB_PORT: String(httpB),
        GIC_HUB_DATA_DIR: join(dir, 'b'),
        GIC_ADMIN_PASSWORD: 'roles-admin-password',
      }),
      log.child({ process: 'b' }),
    );
    const token = await enrolmentToken(api.httpUrl, 'roles-admin-password');
    edge = await startEdge(
      loadEdgeConfig({
        GIC_EDGE_DATA_DIR: join(dir, 'edge'),
        GIC_EDGE_PORT: String(edgePort),
        GIC_HUB_URL: api.httpUrl,
        GIC_ENROLMENT_TOKEN: token,
        GIC_SOURCE: `file:${clip}`,
        GIC_REPLAY_REALTIME: 'false',
        GIC_PROCEDURE_AUTO_START_S: '1', // a 2 s clip
        GIC_PRIVACY_MASKS: JSON.stringify(SAMPLE_OSD_MASKS),
        GIC_MODELS_DIR: join(import.meta.dirname, '..', 'models'),
      }),
      log.child({ process: 'edge' }),
    );
  }, 120_000);

  afterAll(async () => {
    await edge?.stop();
    await api?.stop();
    await messaging?.stop();
    await s3?.stop();
  });

  it('ingests through one process and verifies uploads through the other', async () => {
    await edge.sourceEnded;
    const end = Date.now() + 60_000;
    let status: string | undefined;
    while (Date.now() < end) {
      const { rows } = await api.db.query('SELECT status FROM recordings');
      status = rows[0]?.status;
      if (status === 'available') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe('available');
    // The analyses and the recording arrive on separate paths: wait for the analyses too.
    const local = (edge.db.prepare('SELECT count(*) AS n FROM frame_analyses').get() as { n: number }).n;
    let ingested = -1;
    while (Date.now() < end) {
      const { rows } = await messaging.db.query('SELECT count(*)::int AS n FROM frame_analyses');
      ingested = rows[0].n;
      if (ingested === local) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(ingested).toBe(local);
    // The worker keeps its hourly clean-up of stale uploads and the daily retention purge as schedules in
    // PostgreSQL, shared by all workers (created as the worker starts: waited for).
    let schedules = await api.db.query('SELECT name, cron FROM pgboss.schedule ORDER BY name');
    while (schedules.rows.length < 2 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 200));
      schedules = await api.db.query('SELECT name, cron FROM pgboss.schedule ORDER BY name');
    }
    expect(schedules.rows).toEqual([
      { name: 'abort-stale-uploads', cron: '17 * * * *' },
      { name: 'retention-purge', cron: '23 3 * * *' },
    ]);
    // Each role ran where it was configured, by each process's own metrics: the events were taken in by
    // the messaging process's ingest, and the recording verified by the other's worker; neither did
    // the other's work.
    const metricOf = async (hub: RunningHub, name: string, labels: string) => {
      const text = await (await fetch(`${hub.httpUrl}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
      return line ? Number(line.split(' ').at(-1)) : 0;
    };
    const applied = 'gic_hub_ingest_messages_total';
    const verified = ['gic_hub_worker_jobs_total', 'queue="verify-recording",outcome="done"'] as const;
    expect(await metricOf(messaging, applied, 'outcome="applied"')).toBeGreaterThanOrEqual(local);
    expect(await metricOf(api, applied, 'outcome="applied"')).toBe(0);
    expect(await metricOf(api, ...verified)).toBeGreaterThanOrEqual(1);
    expect(await metricOf(messaging, ...verified)).toBe(0);
    // The messaging process serves health and metrics but not the API.
    expect((await fetch(`${messaging.httpUrl}/health/ready`)).status).toBe(200);
    expect((await fetch(`${messaging.httpUrl}/api/v1/procedures`)).status).toBe(404);
  }, 90_000);
});

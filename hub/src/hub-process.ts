import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { availableExecutionProviders } from '@gic/shared/analysis/onnx-session.js';
import { createMetrics } from '@gic/shared/http/metrics.js';
import type { Logger } from '@gic/shared/logging/logger.js';
import { Lifecycle } from '@gic/shared/process/lifecycle.js';
import { type ServerType, serve } from '@hono/node-server';
import { ensureBootstrapAdmin } from './auth/bootstrap-admin.js';
import { loadHubSecret } from './auth/hub-secret.js';
import { type BrokerHandle, startEmbeddedBroker } from './broker/embedded-broker.js';
import type { HubConfig } from './config.js';
import { createDatabase, type Database } from './db/database.js';
import { migrate } from './db/migrate.js';
import { startEmbeddedPostgres } from './embedded/embedded-postgres.js';
import { startEmbeddedS3 } from './embedded/embedded-s3.js';
import { createHubApp } from './http/hub-app.js';
import { IngestService } from './ingest/ingest-service.js';
import { JobQueue } from './jobs/job-queue.js';
import { ObjectStore } from './storage/object-store.js';
import { abortStaleUploads } from './uploads/abort-stale-uploads.js';
import { verifyRecording } from './uploads/verify-recording.js';

/** What a started hub exposes to its caller (the CLI, the demo, tests). */
export interface RunningHub {
  db: Database;
  databaseUrl: string;
  store: ObjectStore;
  httpUrl: string;
  mqttUrl: string;
  admin?: { username: string; created: boolean };
  stop(): Promise<void>;
}

/**
 * The hub's composition root. Starts, in order: database (embedded unless DATABASE_URL), migrations,
 * object store (embedded unless S3_ENDPOINT), job queue, broker, ingest, worker, HTTP; `stop()`
 * undoes them in reverse order, letting in-flight work finish.
 */
export async function startHub(config: HubConfig, log: Logger): Promise<RunningHub> {
  const parts = new Lifecycle(log);
  const stop = () => parts.stop();
  try {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    let databaseUrl = config.database.url;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres(
        join(config.dataDir, 'postgres'),
        config.database.embeddedPort,
        log.child({ part: 'postgres' }),
      );
      parts.add('embedded-postgres', pg.stop);
      databaseUrl = pg.url;
      log.info({ port: config.database.embeddedPort }, 'embedded PostgreSQL started');
    }
    const db = createDatabase(databaseUrl);
    parts.add('database-pool', () => db.end());
    const applied = await migrate(db);
    if (applied.length) log.info({ applied }, 'migrations applied');
    const secret = await loadHubSecret(db);

    let s3Endpoint = config.s3.endpoint;
    if (config.s3.embedded) {
      const s3 = await startEmbeddedS3(join(config.dataDir, 's3'), config.s3.embeddedPort, config.s3.bucket);
      parts.add('embedded-s3', s3.stop);
      s3Endpoint = s3.endpoint;
      log.info({ endpoint: s3Endpoint }, 'embedded S3 server started');
    }
    const store = new ObjectStore({ ...config.s3, endpoint: s3Endpoint });
    parts.add('object-store', () => store.close());
    await store.ensureBucket();

    const metrics = createMetrics('gic_hub');
    const { roles } = config;
    let jobs: JobQueue | undefined;
    if (roles.has('api') || roles.has('worker')) {
      jobs = await JobQueue.start(databaseUrl, (err) => log.error({ err }, 'job queue error'));
      parts.add('job-queue', () => jobs!.stop());
    }
    let broker: BrokerHandle | undefined;
    if (roles.has('broker') && config.mqtt.embedded) {
      broker = await startEmbeddedBroker(
        { host: config.mqtt.host, port: config.mqtt.port, db, secret },
        log.child({ part: 'broker' }),
      );
      parts.add('broker', () => broker!.close());
    }
    if (roles.has('ingest')) {
      const counter = metrics.counter('ingest_messages_total', 'Device event messages by outcome', [
        'outcome',
      ]);
      const ingest = new IngestService(db, secret, config.mqtt.url, log.child({ part: 'ingest' }), (o) =>
        counter.inc({ outcome: o }),
      );
      await ingest.start();
      parts.add('ingest', () => ingest.stop());
    }
    if (roles.has('worker') && jobs) {
      const workerLog = log.child({ part: 'worker' });
      await jobs.work('verify-recording', ({ recordingId }) =>
        verifyRecording(db, store, workerLog, recordingId),
      );
      await jobs.work('abort-stale-uploads', async () => {
        await abortStaleUploads(db, store, workerLog);
      });
      await jobs.schedule('abort-stale-uploads', '17 * * * *', {});
    }
    let admin: RunningHub['admin'];
    if (roles.has('api')) admin = await ensureBootstrapAdmin(db, config.dataDir, log, config.adminPassword);

    const app = createHubApp({
      log,
      metrics,
      db,
      store,
      secret,
      ...(roles.has('api') && jobs
        ? { api: { jobs, mqttPublicUrl: config.mqtt.publicUrl, hubPublicUrl: config.http.publicUrl } }
        : {}),
      gpu: () => ({
        executionProvider: null,
        note: 'this hub process runs no models',
        availableExecutionProviders: availableExecutionProviders(),
      }),
    });
    const server = await new Promise<ServerType>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname: config.http.host, port: config.http.port }, () =>
        resolve(s),
      );
      s.once('error', reject);
    });
    parts.add('http', () => new Promise<void>((resolve) => server.close(() => resolve())));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.http.port;
    const httpUrl = `http://${config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host}:${port}`;
    log.info({ url: httpUrl, roles: [...roles] }, 'hub started');
    return { db, databaseUrl, store, httpUrl, mqttUrl: config.mqtt.url, ...(admin ? { admin } : {}), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { availableExecutionProviders } from '@gic/shared/analysis/onnx-session.js';
import { listenHttp } from '@gic/shared/http/listen.js';
import { createMetrics } from '@gic/shared/http/metrics.js';
import type { Logger } from '@gic/shared/logging/logger.js';
import { Lifecycle } from '@gic/shared/process/lifecycle.js';
import { StartError, startPart } from '@gic/shared/process/start-error.js';
import { createVlmEngine, OffVlmEngine } from '@gic/shared/vlm/vlm-config.js';
import type { VlmEngine } from '@gic/shared/vlm/vlm-engine.js';
import { loopbackWarnings } from './advertised-urls.js';
import { purgeAuditLog } from './audit/audit-retention.js';
import { ensureBootstrapAdmin } from './auth/bootstrap-admin.js';
import { loadHubSecret } from './auth/hub-secret.js';
import { purgeEndedSessions } from './auth/session-retention.js';
import { RESTORE_MARKER } from './backup/hub-restore.js';
import { BatchProcessor } from './batch/batch-processor.js';
import { startBatchWorkers } from './batch/batch-workers.js';
import { type BrokerHandle, startEmbeddedBroker } from './broker/embedded-broker.js';
import { type HubConfig, localHost, urlHost } from './config.js';
import { appRolePassword, checkAuditLogGuard, enableAppLogin } from './db/app-role.js';
import { createDatabase, type Database } from './db/database.js';
import { migrate } from './db/migrate.js';
import { type CommandSender, startCommandSender } from './devices/command-sender.js';
import { purgeTelemetry } from './devices/telemetry-history.js';
import { startEmbeddedPostgres } from './embedded/embedded-postgres.js';
import { startEmbeddedS3 } from './embedded/embedded-s3.js';
import { hubS3Credentials } from './embedded/embedded-s3-credentials.js';
import { ExportService } from './exports/export-service.js';
import { createHubApp } from './http/hub-app.js';
import { IngestService } from './ingest/ingest-service.js';
import { JobQueue } from './jobs/job-queue.js';
import { watchQueuePauses } from './jobs/queue-pauses.js';
import { RolloutDriver } from './models/rollout-driver.js';
import { purgeExpired } from './retention/retention-purge.js';
import { ObjectStore } from './storage/object-store.js';
import { loadTlsMaterial, type TlsMaterial } from './tls-material.js';
import { abortStaleUploads } from './uploads/abort-stale-uploads.js';
import { verifyRecording } from './uploads/verify-recording.js';
import { VideoUploadService } from './videos/video-upload-service.js';

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
export interface HubOptions {
  /**
   * The review chat's vision-language model: the one place it is wired. Absent: an engine that is off
   * with the reason, and the chat answers from the timeline only.
   */
  vlm?: VlmEngine;
}

export async function startHub(
  config: HubConfig,
  log: Logger,
  options: HubOptions = {},
): Promise<RunningHub> {
  const parts = new Lifecycle(log);
  const stop = () => parts.stop();
  try {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    if (existsSync(join(config.dataDir, RESTORE_MARKER)))
      throw new StartError(
        'the hub',
        `a restore into this hub did not finish (${join(config.dataDir, RESTORE_MARKER)}): its database may be half restored`,
        'run npm run restore again with the same backup',
      );
    for (const warning of loopbackWarnings(config)) log.warn(warning);
    // Read first: a bad certificate stops the hub before anything else starts.
    const tls: TlsMaterial | undefined = config.tls && loadTlsMaterial(config.tls);
    let databaseUrl = config.database.url;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres(
        {
          baseDir: join(config.dataDir, 'postgres'),
          port: config.database.embeddedPort,
          systemDir: config.database.systemDir,
          ...(config.database.binDir ? { binDir: config.database.binDir } : {}),
        },
        log.child({ part: 'postgres' }),
      );
      parts.add('embedded-postgres', pg.stop);
      databaseUrl = pg.url;
      log.info({ port: config.database.embeddedPort, dataDir: pg.dataDir }, 'embedded PostgreSQL started');
    }
    // Migrations run as the tables' owner; the running hub connects as the application role (gic_app).
    const owner = createDatabase(databaseUrl, 2);
    let appUrl = config.database.url ? config.database.appUrl : undefined;
    try {
      const applied = await startPart(
        'the database',
        config.database.url ? 'check DATABASE_URL and that its PostgreSQL runs' : 'see the log above',
        () => migrate(owner),
      );
      if (applied.length) log.info({ applied }, 'migrations applied');
      if (!config.database.url) {
        const password = appRolePassword(join(config.dataDir, 'postgres-app-password'));
        appUrl = await enableAppLogin(owner, databaseUrl, password);
      }
    } finally {
      await owner.end();
    }
    const db = createDatabase(appUrl ?? databaseUrl);
    parts.add('database-pool', () => db.end());
    const auditGuard = await startPart(
      'the database',
      'check DATABASE_APP_URL: its role must be granted gic_app (see README, Audit log)',
      () => checkAuditLogGuard(db),
    );
    if (auditGuard.appendOnly) log.info({ role: auditGuard.role }, 'audit log append-only for the hub');
    else log.warn({ role: auditGuard.role }, auditGuard.note!);
    const secret = await loadHubSecret(db);

    let s3Endpoint = config.s3.endpoint;
    const s3Credentials = hubS3Credentials(config);
    if (config.s3.embedded) {
      const s3 = await startPart(
        'the embedded S3 server',
        'stop what uses it, or set GIC_EMBEDDED_S3_PORT (and GIC_EMBEDDED_S3_HOST) to a free address',
        () =>
          startEmbeddedS3(
            join(config.dataDir, 's3'),
            { host: config.s3.embeddedHost, port: config.s3.embeddedPort },
            config.s3.bucket,
            {
              credentials: s3Credentials,
              onDeath: (reason) =>
                log.error({ reason }, 'the embedded S3 server stopped: the object store is gone'),
              onAbandonedUploads: (removed) =>
                log.warn(
                  removed,
                  'embedded S3 server: removed multipart uploads untouched for a day (abandoned)',
                ),
            },
          ),
      );
      parts.add('embedded-s3', s3.stop);
      s3Endpoint = s3.endpoint;
      log.info({ endpoint: s3Endpoint, devicesUse: config.s3.publicEndpoint }, 'embedded S3 server started');
      if (s3.leftoversRemoved.files > 0)
        log.warn(
          s3.leftoversRemoved,
          'embedded S3 server: removed temporary files left by a write cut short (a crash); objects are whole',
        );
      if (s3.abandonedUploadsRemoved.files > 0)
        log.warn(
          s3.abandonedUploadsRemoved,
          'embedded S3 server: removed multipart uploads untouched for a day (abandoned)',
        );
    }
    const store = new ObjectStore({ ...config.s3, ...s3Credentials, endpoint: s3Endpoint });
    parts.add('object-store', () => store.close());
    await startPart(
      'the object store',
      config.s3.embedded
        ? 'see the log above'
        : 'check S3_ENDPOINT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY and that the store runs',
      () => store.ensureBucket(),
    );

    const metrics = createMetrics('gic_hub');
    const { roles } = config;
    let jobs: JobQueue | undefined;
    let freeEngine = async () => {};
    if (roles.has('api') || roles.has('worker')) {
      jobs = await startPart('the job queue', 'check the database', () =>
        JobQueue.start(databaseUrl, (err) => log.error({ err }, 'job queue error'), {
          maintenanceIntervalSeconds: config.jobs.maintenanceIntervalSeconds,
          heartbeatSeconds: Math.max(1, Math.min(10, Math.floor(config.jobs.deadAfterSeconds / 4))),
          deadAfterSeconds: config.jobs.deadAfterSeconds,
        }),
      );
      // Freed after the queue has drained (parts stop in reverse): a running job may still analyse.
      parts.add('batch-engine', () => freeEngine());
      parts.add('job-queue', () => jobs!.stop());
    }
    const jobOptions = { retryLimit: config.jobs.retryLimit };
    const batchLog = log.child({ part: 'batch' });
    const processor = jobs && new BatchProcessor(db, jobs, batchLog, jobOptions);
    const exports =
      jobs &&
      new ExportService(db, store, jobs, batchLog, {
        deviceNames: config.exportDeviceNames,
        job: jobOptions,
      });
    let broker: BrokerHandle | undefined;
    if (roles.has('broker') && config.mqtt.embedded) {
      const refusedConnections = metrics.counter(
        'mqtt_refused_connections_total',
        'MQTT connections the embedded broker closed: oversize (a packet over the size limit) or flood (over the publish rate)',
        ['reason'],
      );
      broker = await startPart(
        'the embedded MQTT broker',
        'stop what uses it, or set GIC_MQTT_PORT (and GIC_MQTT_HOST) to a free address',
        () =>
          startEmbeddedBroker(
            {
              host: config.mqtt.host,
              port: config.mqtt.port,
              db,
              secret,
              limits: config.mqtt.limits,
              ...(tls ? { tls } : {}),
              onRefused: (reason) => refusedConnections.inc({ reason }),
            },
            log.child({ part: 'broker' }),
          ),
      );
      parts.add('broker', () => broker!.close());
    }
    if (roles.has('ingest')) {
      const counter = metrics.counter('ingest_messages_total', 'Device event messages by outcome', [
        'outcome',
      ]);
      const ingest = new IngestService(
        db,
        secret,
        config.mqtt.url,
        log.child({ part: 'ingest' }),
        (o) => counter.inc({ outcome: o }),
        config.mqtt.sharedGroup
          ? { sharedGroup: config.mqtt.sharedGroup }
          : // With the broker in this process, events reach the ingest from its router, not over a socket.
            broker
            ? { local: broker.local }
            : {},
      );
      await startPart('MQTT ingest', `check that the broker at ${config.mqtt.url} runs (MQTT_URL)`, () =>
        ingest.start(),
      );
      parts.add('ingest', () => ingest.stop());
    }
    if (roles.has('worker') && jobs) {
      const workerLog = log.child({ part: 'worker' });
      // What this process's worker ran: with the ingest's count, it shows where each role runs.
      const jobsRun = metrics.counter('worker_jobs_total', 'Jobs this process ran, by queue and outcome', [
        'queue',
        'outcome',
      ]);
      const counted =
        <T>(queue: string, work: (data: T) => Promise<unknown>) =>
        async (data: T) => {
          try {
            await work(data);
            jobsRun.inc({ queue, outcome: 'done' });
          } catch (err) {
            jobsRun.inc({ queue, outcome: 'failed' });
            throw err;
          }
        };
      await jobs.work(
        'verify-recording',
        counted('verify-recording', ({ recordingId }: { recordingId: string }) =>
          verifyRecording(db, store, workerLog, recordingId),
        ),
      );
      // Recordings left verifying with no job (a restored backup holds no job queue; a hub killed
      // between completing an upload and queueing it) are queued again: the job does nothing twice.
      const { rows: unverified } = await db.query<{ id: string }>(
        "SELECT id FROM recordings WHERE status = 'verifying'",
      );
      for (const r of unverified) await jobs.send('verify-recording', { recordingId: r.id });
      await jobs.work(
        'abort-stale-uploads',
        counted('abort-stale-uploads', async () => {
          await abortStaleUploads(db, store, workerLog);
        }),
      );
      await jobs.schedule('abort-stale-uploads', '17 * * * *', {});
      freeEngine = await startBatchWorkers({
        db,
        store,
        jobs,
        processor: processor!,
        exports: exports!,
        log: batchLog,
        options: { ...config.batch, keepRaw: config.uploads.keepRaw },
      });
      await jobs.work('retention-purge', async () => {
        await purgeExpired(db, store, config.retention, workerLog);
        await purgeAuditLog(db, config.audit.retentionDays, workerLog);
        await purgeEndedSessions(db, undefined, workerLog);
        await purgeTelemetry(db, config.retention.telemetryDays, workerLog);
      });
      await jobs.schedule('retention-purge', '23 3 * * *', {}); // daily, at night
      const stopWatching = await watchQueuePauses(db, jobs, workerLog);
      parts.add('queue-pauses', async () => stopWatching());
    }
    let admin: RunningHub['admin'];
    if (roles.has('api')) admin = await ensureBootstrapAdmin(db, config.dataDir, log, config.adminPassword);

    // The configured model (GIC_VLM_*), loaded where the chat is served (the api role).
    const vlm =
      options.vlm ??
      (roles.has('api')
        ? await createVlmEngine(config.vlm, (line) => log.info({ part: 'vlm' }, line))
        : new OffVlmEngine('the chat is served by the api role'));
    parts.add('vlm', () => vlm.close());
    if (roles.has('api')) log.info({ vlm: vlm.status() }, 'chat model');

    // Remote commands go out from the API role on a broker connection of its own.
    let commands: CommandSender | undefined;
    if (roles.has('api')) {
      commands = await startCommandSender(config.mqtt.url, secret, log.child({ part: 'commands' }));
      parts.add('command-sender', () => commands!.close());
      // Rollouts move along from here too: they send install-model commands.
      const rollouts = new RolloutDriver({
        db,
        store,
        sender: commands,
        log: log.child({ part: 'rollouts' }),
        intervalMs: config.rollouts.intervalMs,
      });
      rollouts.start();
      parts.add('rollouts', () => rollouts.stop());
    }

    const app = createHubApp({
      log,
      metrics,
      db,
      store,
      secret,
      audit: { trustProxy: config.audit.trustProxy },
      ...(roles.has('api') && jobs
        ? {
            api: {
              jobs,
              mqttPublicUrl: config.mqtt.publicUrl,
              hubPublicUrl: config.http.publicUrl,
              videos: {
                uploads: new VideoUploadService(db, store, log.child({ part: 'uploads' }), config.uploads),
                processor: processor!,
                exports: exports!,
                urlTtlSeconds: config.urlTtlSeconds,
                limits: { uploads: config.people.rates.uploads, exports: config.people.rates.exports },
              },
              people: config.people,
              vlm,
              vlmTimeoutMs: config.vlm.timeoutMs,
              ...(commands ? { commands } : {}),
            },
          }
        : {}),
      security: {
        tls: Boolean(tls),
        // The portal's key frames and videos come by URLs this endpoint signs.
        mediaOrigins: [new URL(config.s3.publicEndpoint ?? s3Endpoint).origin],
        corsOrigins: config.corsOrigins,
      },
      gpu: () => ({
        executionProvider: null,
        note: roles.has('worker')
          ? 'batch processing runs the models on the CPU, in a thread of its own'
          : 'this hub process runs no models',
        availableExecutionProviders: availableExecutionProviders(),
      }),
    });
    const http = await listenHttp(
      app.fetch,
      {
        host: config.http.host,
        port: config.http.port,
        hostSetting: 'GIC_HUB_HOST',
        portSetting: 'GIC_HUB_PORT',
        ...(tls ? { tls } : {}),
      },
      log,
    );
    parts.add('http', () => http.close());
    const httpUrl = `${config.http.scheme}://${urlHost(localHost(config.http.host))}:${http.port}`;
    log.info({ url: httpUrl, devicesUse: config.http.publicUrl, roles: [...roles] }, 'hub started');
    return { db, databaseUrl, store, httpUrl, mqttUrl: config.mqtt.url, ...(admin ? { admin } : {}), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import type { Server } from 'node:http';
import { basename, join } from 'node:path';
import type { DeviceCredentials } from '@gic/provisioning/device-credentials.js';
import { loadFrameAnalyzer } from '@gic/shared/analysis/load-analyzer.js';
import { availableExecutionProviders } from '@gic/shared/analysis/onnx-session.js';
import { createMetrics } from '@gic/shared/http/metrics.js';
import type { Logger } from '@gic/shared/logging/logger.js';
import { Lifecycle } from '@gic/shared/process/lifecycle.js';
import { type ServerType, serve } from '@hono/node-server';
import { type Alert, AlertTracker } from './alerts/alert-tracker.js';
import { AlertsStore } from './alerts/alerts-store.js';
import type { CaptureEnd } from './capture/capture-pipeline.js';
import { type CaptureRun, CaptureSupervisor } from './capture/capture-supervisor.js';
import { RECORDER_DELAY_MS, RecorderMask } from './capture/recorder-mask.js';
import type { EdgeConfig } from './config.js';
import { ensureEnrolled } from './enrol/enrol-device.js';
import { createEdgeApp } from './http/edge-app.js';
import { LivePush } from './http/live-push.js';
import { LiveStateHolder } from './live/live-state.js';
import { type EndReason, ProcedureLog } from './live/procedure-log.js';
import { SqliteOutbox } from './outbox/sqlite-outbox.js';
import { type EdgeDatabase, openEdgeDatabase } from './store/edge-database.js';
import { HubClient } from './sync/hub-client.js';
import { OutboxPublisher } from './sync/outbox-publisher.js';
import { finishRecording } from './upload/finish-recording.js';
import { evictVerifiedRecordings } from './upload/recording-eviction.js';
import { RecordingUploader } from './upload/recording-uploader.js';
import { RecordingsStore } from './upload/recordings-store.js';
import { UploadLoop } from './upload/upload-loop.js';

export const EDGE_VERSION = '0.1.0';

export interface RunningEdge {
  db: EdgeDatabase;
  httpUrl: string;
  /** Resolves when the source has ended and its procedure is closed (never for a live source). */
  sourceEnded: Promise<CaptureEnd>;
  /** Resolves with the device credentials once enrolled. */
  enrolled: Promise<DeviceCredentials>;
  stop(): Promise<void>;
}

function sourceLabel(config: EdgeConfig): string {
  const s = config.source;
  return s.kind === 'file'
    ? basename(s.path)
    : s.kind === 'v4l2'
      ? s.device
      : s.kind === 'rtsp'
        ? new URL(s.url).host
        : 'test pattern';
}

/**
 * The edge's composition root. Starts, in order: local store (closing what a crash left open),
 * models, HTTP (the in-room screen works from here on, network or not), capture and analysis, then
 * enrolment and sync in the background. `stop()` reverses it: the recorder closes its file, the
 * procedure is ended, and everything unsent stays in the outbox for the next start.
 */
export async function startEdge(config: EdgeConfig, log: Logger): Promise<RunningEdge> {
  const parts = new Lifecycle(log);
  const stop = () => parts.stop();
  try {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const recordingsDir = join(config.dataDir, 'recordings');
    mkdirSync(recordingsDir, { recursive: true });
    const db = openEdgeDatabase(join(config.dataDir, 'edge.db'));
    parts.add('sqlite', () => void db.close());
    const outbox = new SqliteOutbox(db);
    const procedures = new ProcedureLog(db, outbox);
    const recordings = new RecordingsStore(db);
    for (const id of procedures.openProcedures()) {
      procedures.end(id, 'shutdown');
      log.warn({ procedureId: id }, 'closed a procedure left open by an earlier crash');
    }
    for (const r of recordings.unfinished()) await finishRecording(recordings, r.id, outbox);

    const { analyzer, size } = await loadFrameAnalyzer(
      config.modelsDir,
      config.models,
      log.child({ part: 'models' }),
    );
    parts.add('models', () => analyzer.close());

    const metrics = createMetrics('gic_edge');
    const frameSeconds = metrics.histogram(
      'frame_analysis_seconds',
      'Per-frame analysis time',
      [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2],
    );
    const live = new LiveStateHolder(config.source.kind, sourceLabel(config));
    let publisher: OutboxPublisher | undefined;
    let uploader: RecordingUploader | undefined;
    let uploadLoop: UploadLoop | undefined;

    const alertsStore = new AlertsStore(db, outbox);
    let tracker = new AlertTracker(config.alerts);
    let alertProcedureId: string | undefined;
    // Wall-clock time each alert was raised (the tracker works in stream time).
    const raisedAt = new Map<string, string>();
    const recordAlert = (procedureId: string, alert: Alert) => {
      if (!raisedAt.has(alert.id)) raisedAt.set(alert.id, new Date().toISOString());
      alertsStore.upsert(procedureId, alert, raisedAt.get(alert.id)!);
      if (alert.state === 'ended') raisedAt.delete(alert.id);
    };
    const showAlerts = () => {
      live.state.alerts = tracker.current.filter((a) => a.state === 'active' || a.state === 'acknowledged');
    };
    const alertAction = (verb: 'acknowledge' | 'dismiss') => (id: string, by: string) => {
      const alert = tracker[verb](id, by, Date.now());
      if (alert && alertProcedureId) recordAlert(alertProcedureId, alert);
      showAlerts();
      push.broadcast({ type: 'live', ...snapshot() });
      return alert;
    };
    const push = new LivePush();
    const snapshot = () => ({
      ...live.state,
      sync: {
        ...(publisher?.state() ?? {
          connected: false,
          pendingEvents: outbox.size(),
          lastContactAt: null,
          lastConfirmedAt: null,
        }),
        ...(uploader?.progress ? { upload: uploader.progress } : {}),
      },
    });
    const app = createEdgeApp({
      log,
      push,
      realtime: { analyse: (frame) => analyzer.analyse(frame), size },
      alerts: { acknowledge: alertAction('acknowledge'), dismiss: alertAction('dismiss') },
      procedures: {
        markCecum: (by) => {
          const procedure = live.state.procedure;
          if (!procedure || procedure.endedAt) return undefined;
          const at = procedures.markCecum(procedure.id, by);
          if (!at) return undefined;
          procedure.cecumReachedAt = at;
          publisher?.notify();
          push.broadcast({ type: 'live', ...snapshot() });
          return { procedureId: procedure.id, at };
        },
      },
      metrics,
      db,
      live: () => live.state,
      sync: () => snapshot().sync,
      gpu: () => ({
        executionProvider: analyzer.models[0]?.executionProvider ?? null,
        models: analyzer.models,
        modelsOff: analyzer.modelsOff,
        availableExecutionProviders: availableExecutionProviders(),
      }),
      diskFree: async () => {
        const s = await statfs(recordingsDir);
        return s.bavail * s.bsize;
      },
    });
    const server = await new Promise<ServerType>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname: config.http.host, port: config.http.port }, () =>
        resolve(s),
      );
      s.once('error', reject);
    });
    push.attach(server as Server, snapshot);
    parts.add('http', async () => {
      await push.close();
      await new Promise<void>((r) => server.close(() => r()));
    });
    // Disk: evict verified local copies beyond the limit, and warn the room when space runs low.
    const checkDisk = async () => {
      const { usedBytes } = evictVerifiedRecordings(db, config.recordingsMaxBytes, log);
      const fs = await statfs(recordingsDir);
      const freeBytes = fs.bavail * fs.bsize;
      const low = freeBytes < config.diskMinFreeBytes;
      if (low && !live.state.disk?.warning) log.warn({ freeBytes }, 'disk space for recordings is low');
      live.state.disk = {
        freeBytes,
        recordingsBytes: usedBytes,
        ...(low ? { warning: `only ${(freeBytes / 1e9).toFixed(1)} GB free for recordings` } : {}),
      };
    };
    await checkDisk();
    const diskTimer = setInterval(
      () => checkDisk().catch((err) => log.error({ err }, 'disk check failed')),
      30_000,
    );
    parts.add('disk-check', () => clearInterval(diskTimer));
    // Telemetry to the hub every 15 s: health, backlog and upload progress for the fleet view.
    const telemetryTimer = setInterval(() => {
      const upload = uploader?.progress;
      publisher?.publishTelemetry({
        ts: new Date().toISOString(),
        source: {
          state: live.state.source.state,
          ...(live.state.source.message ? { message: live.state.source.message.slice(0, 500) } : {}),
        },
        procedureId: live.state.procedure && !live.state.procedure.endedAt ? live.state.procedure.id : null,
        analysisFps: live.state.analysisFps,
        pendingEvents: outbox.size(),
        upload: upload
          ? {
              recordingId: upload.recordingId,
              status: upload.status,
              partsDone: upload.partsDone,
              partCount: upload.partCount,
            }
          : null,
        disk: live.state.disk,
        models: analyzer.models,
        modelsOff: analyzer.modelsOff,
      });
    }, 15_000);
    parts.add('telemetry', () => clearInterval(telemetryTimer));
    // Screens hear of sync and source changes at least once a second, even with no new frames.
    const heartbeat = setInterval(() => push.broadcast({ type: 'live', ...snapshot() }), 1000);
    parts.add('live-push', () => clearInterval(heartbeat));
    const address = server.address();
    const httpUrl = `http://${config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host}:${typeof address === 'object' && address ? address.port : config.http.port}`;

    // Enrolment and sync: in the background, retried, so capture never waits for the network.
    const syncAbort = new AbortController();
    const enrolled = (async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await ensureEnrolled(
            {
              credentialsPath: join(config.dataDir, 'device-credentials.json'),
              hubUrl: config.hubUrl,
              name: config.name,
              ...(config.enrolmentToken ? { token: config.enrolmentToken } : {}),
              softwareVersion: EDGE_VERSION,
            },
            log,
          );
        } catch (err) {
          log.warn({ err: (err as Error).message }, 'not enrolled yet; retrying');
          await new Promise((r) => setTimeout(r, Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5))));
          syncAbort.signal.throwIfAborted();
        }
      }
    })();
    enrolled.catch(() => {});
    parts.add('enrolment', () => syncAbort.abort());
    enrolled.then(
      async (credentials) => {
        if (syncAbort.signal.aborted) return;
        publisher = new OutboxPublisher(
          credentials,
          config.mqttUrlOverride ?? credentials.mqttUrl,
          outbox,
          log.child({ part: 'sync' }),
          () =>
            live.state.source.state === 'no-signal'
              ? 'no-signal'
              : live.state.procedure && !live.state.procedure.endedAt
                ? 'in-procedure'
                : 'online',
        );
        await publisher.start();
        uploader = new RecordingUploader(
          recordings,
          new HubClient(credentials),
          log.child({ part: 'upload' }),
          config.uploadPartBytes,
          config.uploadMaxBytesPerSecond,
        );
        // A live procedure keeps a few events in flight; more than this means a backlog to drain first.
        uploadLoop = new UploadLoop(
          recordings,
          uploader,
          log.child({ part: 'upload' }),
          () => outbox.size() <= 20,
        );
        uploadLoop.start();
      },
      () => {},
    );
    parts.add('sync', async () => {
      await uploadLoop?.stop();
      await publisher?.stop();
    });

    // Capture: each run of the source that delivers video is one procedure; each of its segments is a recording.
    let current: { run: CaptureRun; procedureId: string } | undefined;
    const segmentRecordings = new Map<string, string>(); // segment path -> recording id
    let recorderMask = new RecorderMask(config.privacyMasks);
    const endReason = (end: CaptureEnd): EndReason =>
      end.kind === 'eos' ? 'source-ended' : end.kind === 'error' ? 'source-lost' : 'shutdown';
    const supervisor = new CaptureSupervisor(
      {
        source: config.source,
        realtime: config.realtime,
        analysis: { ...size, fps: config.analysisFps },
        masks: config.privacyMasks,
        privacyDelayMs: RECORDER_DELAY_MS,
        preview: { width: 640, fps: 10 },
        recording: config.recording,
      },
      recordingsDir,
      {
        onRunStart: (run) => {
          const procedureId = procedures.start(config.source, sourceLabel(config));
          current = { run, procedureId };
          recorderMask = new RecorderMask(config.privacyMasks);
          tracker = new AlertTracker(config.alerts);
          alertProcedureId = procedureId;
          showAlerts();
          live.state.procedure = { id: procedureId, startedAt: new Date().toISOString(), frames: 0 };
          publisher?.publishStatus('in-procedure');
          log.info({ procedureId }, 'procedure started');
        },
        onFrame: async (run, frame) => {
          const end = frameSeconds.startTimer();
          const analysis = await analyzer.analyse(frame);
          end();
          const svg = recorderMask.update(frame.ptsMs, analysis.quality.inBody);
          if (svg) supervisor.setRecorderMask(svg);
          if (current?.run === run) {
            procedures.recordFrame(current.procedureId, analysis);
            const changes = tracker.update({
              frameIndex: analysis.frameIndex,
              timeMs: analysis.ptsMs,
              detections: analysis.detections,
              models: analysis.models,
              shown: push.screens > 0,
            });
            for (const { alert } of changes) recordAlert(current.procedureId, alert);
            showAlerts();
          }
          live.frameAnalysed(analysis);
          push.broadcast({ type: 'live', ...snapshot() });
          publisher?.notify();
        },
        onPreview: (jpeg) => push.preview(jpeg),
        // Recording segments (capture/segment-recorder.ts): each is sealed and uploaded once closed.
        onSegmentOpened: (run, segment) => {
          if (current?.run !== run) return;
          const recordingId = randomUUID();
          recordings.add(recordingId, current.procedureId, segment.path);
          segmentRecordings.set(segment.path, recordingId);
        },
        onSegmentClosed: async (_run, segment) => {
          const recordingId = segmentRecordings.get(segment.path);
          if (!recordingId) return;
          segmentRecordings.delete(segment.path);
          if (await finishRecording(recordings, recordingId, outbox)) uploadLoop?.kick();
        },
        onRecorderError: (_run, message) =>
          log.error({ reason: message }, 'recording failed; analysis goes on'),
        onWarning: (_run, message) => log.warn({ reason: message }, 'capture warning'),
        onRunEnd: async (run, end) => {
          if (current?.run !== run) return; // the source never delivered video: nothing was recorded
          const { procedureId } = current;
          current = undefined;
          procedures.end(procedureId, endReason(end));
          if (live.state.procedure) live.state.procedure.endedAt = new Date().toISOString();
          publisher?.notify();
          publisher?.publishStatus('online');
          log.info({ procedureId, end: end.kind, frames: run.frames }, 'procedure ended');
        },
        onState: (state, message) => {
          live.state.source.state = state;
          live.state.source.message = message;
          if (state === 'no-signal') {
            log.error({ reason: message }, 'no signal from the video source; retrying');
            publisher?.publishStatus('no-signal');
          }
        },
      },
    );
    const sourceEnded = supervisor.start();
    parts.add('capture', () => supervisor.stop());
    log.info({ url: httpUrl, source: config.source.kind }, 'edge started');
    return { db, httpUrl, sourceEnded, enrolled, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

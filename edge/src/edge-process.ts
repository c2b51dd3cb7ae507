import { existsSync, mkdirSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import type { Server } from 'node:http';
import { basename, join } from 'node:path';
import type { DeviceCredentials } from '@gic/provisioning/device-credentials.js';
import { STILL_IMAGE_SIZE } from '@gic/shared/analysis/load-analyzer.js';
import { availableExecutionProviders } from '@gic/shared/analysis/onnx-session.js';
import { ThreadedAnalyzer } from '@gic/shared/analysis/threaded-analyzer.js';
import { listenHttp } from '@gic/shared/http/listen.js';
import { createMetrics } from '@gic/shared/http/metrics.js';
import type { Logger } from '@gic/shared/logging/logger.js';
import type { HostStats } from '@gic/shared/messages/events.js';
import { Lifecycle } from '@gic/shared/process/lifecycle.js';
import { startPart } from '@gic/shared/process/start-error.js';
import { createVlmEngine } from '@gic/shared/vlm/vlm-config.js';
import type { VlmEngine } from '@gic/shared/vlm/vlm-engine.js';
import { AlertThumbnails } from './alerts/alert-thumbnails.js';
import { AlertsStore } from './alerts/alerts-store.js';
import type { CaptureEnd } from './capture/capture-pipeline.js';
import { chatTextRecogniser } from './chat/chat-recogniser.js';
import { edgeChatService } from './chat/edge-chat.js';
import { liveSnapshot } from './chat/screen-reading.js';
import type { RecentLog } from './commands/recent-log.js';
import { startRemoteCommands } from './commands/remote-commands.js';
import type { EdgeConfig } from './config.js';
import { ensureEnrolled } from './enrol/enrol-device.js';
import { keyCreatedAt, keyRotationDue, nextCredentialsPath, rotateDeviceKey } from './enrol/rotate-key.js';
import { EdgeFrameFindings } from './findings/edge-frame-findings.js';
import { FrameFindingsLog } from './findings/frame-findings-log.js';
import { createEdgeApp } from './http/edge-app.js';
import { LivePush } from './http/live-push.js';
import { AnalysisWatchdog } from './live/analysis-watchdog.js';
import { startLiveCapture } from './live/live-capture.js';
import { LiveSession } from './live/live-session.js';
import { LiveStateHolder } from './live/live-state.js';
import { ProcedureLog } from './live/procedure-log.js';
import { ModelFolders } from './models/model-folders.js';
import { IdleSignOut } from './operators/idle-sign-out.js';
import { OperatorsStore } from './operators/operators-store.js';
import { RoomCredentialsStore } from './operators/room-credentials-store.js';
import { recordedActor, UNSIGNED_ACTOR } from './operators/screen-actor.js';
import { ScreenSignIn } from './operators/screen-sign-in.js';
import { SignInThrottle } from './operators/sign-in-throttle.js';
import { SqliteOutbox } from './outbox/sqlite-outbox.js';
import { analysisOptions } from './privacy/analysis-options.js';
import { DeviceMaskLayout } from './privacy/device-mask-layout.js';
import { MaskLayoutStore } from './privacy/mask-layout-store.js';
import { ProcedureController } from './procedures/procedure-controller.js';
import { type EdgeDatabase, openEdgeDatabase } from './store/edge-database.js';
import { HostStatsSampler } from './sync/host-stats.js';
import { HubClient } from './sync/hub-client.js';
import { OutboxPublisher } from './sync/outbox-publisher.js';
import { RoomCredentialsSync } from './sync/room-credentials-sync.js';
import { buildTelemetry } from './sync/telemetry.js';
import { ConfigTwin } from './twin/config-twin.js';
import { DesiredConfigStore, type StoredDesiredConfig } from './twin/desired-config-store.js';
import { DiskWatch } from './upload/disk-watch.js';
import { finishRecording } from './upload/finish-recording.js';
import { RecordingUploader } from './upload/recording-uploader.js';
import { RecordingsStore } from './upload/recordings-store.js';
import { SegmentRecordings } from './upload/segment-recordings.js';
import { UploadLoop } from './upload/upload-loop.js';

/** Nice value of the still images' analysis thread: it runs on what the live video leaves. */
const STILLS_NICE = 10;

/** The frame size models are warmed up at: the most common tower output. */
const WARM_UP_SIZE = { width: 1280, height: 720 };
export const EDGE_VERSION = '0.1.0';
/** How often free disk space is checked (ms): a filling disk must stop recording before it is full. */
const DISK_CHECK_MS = 5000;

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
export interface EdgeOptions {
  /**
   * The chat's vision-language model: the one place it is wired. Absent: an engine that is off with
   * the reason, and the chat answers from the timeline only.
   */
  vlm?: VlmEngine;
  /** The latest log lines kept in memory (edge/src/main.ts), for a remote collect-logs command. */
  recentLog?: RecentLog;
  /** The box's own environment, which wins over the hub's desired configuration (default process.env). */
  env?: Record<string, string | undefined>;
  /** The hub's desired configuration `config` was loaded with (edge/src/main.ts), if any. */
  startedWith?: StoredDesiredConfig;
}

export async function startEdge(
  config: EdgeConfig,
  log: Logger,
  options: EdgeOptions = {},
): Promise<RunningEdge> {
  const parts = new Lifecycle(log);
  const stop = () => parts.stop();
  try {
    const recordingsDir = join(config.dataDir, 'recordings');
    const db = await startPart(
      'the local store',
      `check that ${config.dataDir} can be written, or set GIC_EDGE_DATA_DIR`,
      () => {
        mkdirSync(recordingsDir, { recursive: true, mode: 0o700 });
        return openEdgeDatabase(join(config.dataDir, 'edge.db'));
      },
    );
    parts.add('sqlite', () => void db.close());
    const outbox = new SqliteOutbox(db);
    const procedures = new ProcedureLog(db, outbox);
    const recordings = new RecordingsStore(db);
    // What a crash left open: procedures end as 'shutdown', the segment being written is sealed as
    // their last, and a procedure whose last segment had already closed gets it marked final.
    // (The callbacks below reach parts made further down; none is called before those exist.)
    let capture: ReturnType<typeof startLiveCapture> | undefined;
    const segments = new SegmentRecordings(
      recordings,
      outbox,
      log.child({ part: 'recordings' }),
      { sealed: () => uploadLoop?.kick(), split: () => void capture?.splitRecording() },
      () => controller.current?.id,
    );
    const crashed = procedures.openProcedures();
    for (const id of crashed) {
      procedures.end(id, 'shutdown');
      log.warn({ procedureId: id }, 'closed a procedure left open by an earlier crash');
    }
    for (const r of recordings.unfinished()) await finishRecording(recordings, r.id, outbox);
    for (const id of crashed) segments.procedureEnded(id);
    segments.sweepOrphans(recordingsDir);

    // A model switch a crash cut short is ended before the analyzers read the models folder.
    for (const r of await new ModelFolders(config.modelsDir).recover())
      log.warn(r, 'ended a model switch cut short by a restart');

    const { layersOff, mode: privacyMode } = config.privacy;
    // Models run on threads of their own, so inference never holds up the event loop: one for the
    // live video, one for still images posted to the realtime API at a lower priority, so photos
    // neither queue ahead of the live frames nor take the CPU they need.
    const size = STILL_IMAGE_SIZE;
    const startAnalyzer = (part: string, nice: number) =>
      ThreadedAnalyzer.start(
        config.modelsDir,
        config.models,
        log.child({ part }),
        analysisOptions(config.privacy, log),
        nice,
      );
    const [analyzer, stills] = await Promise.all([
      startAnalyzer('models', 0),
      startAnalyzer('still-models', STILLS_NICE),
    ]);
    parts.add('models', async () => {
      await Promise.all([analyzer.close(), stills.close()]);
    });
    // The first runs of each model are slow (seconds on a CPU): done now, not on a procedure's first frames.
    const warmed = await Promise.all([analyzer.warmUp(WARM_UP_SIZE), stills.warmUp(size)]);
    log.info({ ms: Math.max(...warmed) }, 'models warmed up');

    // The configured model (GIC_VLM_*): a missing one is off with the reason, at once.
    const vlm = options.vlm ?? (await createVlmEngine(config.vlm, (line) => log.info({ part: 'vlm' }, line)));
    parts.add('vlm', () => vlm.close());
    // The chat's own text recogniser, loaded on the first question (screen-reading.ts).
    const chatRecogniser = chatTextRecogniser(config.modelsDir, config.models, log.child({ part: 'chat' }));
    parts.add('chat-recogniser', () => chatRecogniser.close());
    log.info({ vlm: vlm.status() }, 'chat model');

    const metrics = createMetrics('gic_edge');
    const batchSeconds = metrics.histogram(
      'analysis_batch_seconds',
      'Time to analyse one batch of waiting frames',
      [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2],
    );
    const batchFrames = metrics.histogram(
      'analysis_batch_frames',
      'Frames in one analysis batch',
      [1, 2, 3, 4],
    );
    const framesDropped = metrics.counter(
      'frames_dropped_total',
      'Sampled frames dropped because analysis fell behind the live video',
    );
    const framesByOutcome = metrics.counter(
      'frame_findings_total',
      'Frames analysed by the vision-language model, by outcome (parsed, repaired, unparseable, engine-error)',
      ['outcome'],
    );
    const live = new LiveStateHolder(config.source.kind, sourceLabel(config));
    let publisher: OutboxPublisher | undefined;
    let uploader: RecordingUploader | undefined;
    let uploadLoop: UploadLoop | undefined;
    let roomSync: RoomCredentialsSync | undefined;
    let keyRotationTimer: NodeJS.Timeout | undefined;

    const maskLayout = new DeviceMaskLayout(new MaskLayoutStore(db, outbox), !layersOff.includes('layout'));
    maskLayout.onChange(() => publisher?.notify());
    const alertsStore = new AlertsStore(db, outbox);
    const operators = new OperatorsStore(db, config.alerts);
    // In-room sign-in: PINs and badges from the hub (hashes), checked here offline, throttled per box.
    const roomCredentials = new RoomCredentialsStore(db);
    const screenSignIn = new ScreenSignIn(roomCredentials, new SignInThrottle(config.screen.throttle));
    const idle = new IdleSignOut(config.screen.idleSignOutMs);
    /** Who an action is recorded as: the person signed in now (see operators/screen-actor.ts). */
    const actor = (given?: string | null) => {
      if (operators.signedIn) idle.touch();
      return recordedActor({
        signedIn: operators.signedIn,
        credentialsHeld: roomCredentials.everHeld,
        given,
      });
    };
    const push = new LivePush();
    // Frame analysis by the VLM: flagged, routine and asked-for frames, masked, one at a time, off the live path.
    const frameFindings = new EdgeFrameFindings({
      engine: vlm,
      log: new FrameFindingsLog(db, outbox),
      procedureId: () => controller.current?.id,
      intervalMs: config.vlmFrameEveryMs,
      timeoutMs: config.vlm.timeoutMs,
      stored: (s) => {
        framesByOutcome.inc({ outcome: s.outcome });
        publisher?.notify();
        broadcast();
      },
      warn: (message) => log.warn({ part: 'vlm' }, message),
    });
    parts.add('frame-findings', () => frameFindings.close());
    const snapshot = () => ({
      ...live.state,
      frameFindings: frameFindings.status(),
      recorded: live.state.procedure?.endedAt ? recordings.summary(live.state.procedure.id) : null,
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
    const broadcast = () => push.broadcast({ type: 'live', ...snapshot() });

    // Procedures: started and ended from the screen, the API, or the video itself.
    const controller = new ProcedureController(
      procedures,
      config.source,
      sourceLabel(config),
      config.procedures,
      {
        started: (p) => liveSession.procedureHooks.started(p),
        ended: (p, reason, endedAt) => liveSession.procedureHooks.ended(p, reason, endedAt),
      },
      () => operators.signedIn,
    );
    const liveSession = new LiveSession(live, controller, alertsStore, operators, {
      changed: broadcast,
      eventsWaiting: () => publisher?.notify(),
      procedureStarted: (p) => {
        segments.procedureStarted(p.id);
        publisher?.publishStatus('in-procedure');
        log.info({ procedureId: p.id, trigger: p.trigger, operator: p.operator }, 'procedure started');
      },
      procedureEnded: (p, reason) => {
        segments.procedureEnded(p.id);
        publisher?.publishStatus(live.state.source.state === 'no-signal' ? 'no-signal' : 'online');
        log.info({ procedureId: p.id, reason, frames: p.frames }, 'procedure ended');
        // After the procedure's own end (its recording split) has run: deferred keys apply now.
        setImmediate(() => void twin.procedureEnded());
      },
      screens: () => push.screens,
    });
    // The device twin: the hub's desired configuration, applied as far as it may be without disturbing.
    const twin = new ConfigTwin({
      store: new DesiredConfigStore(db),
      env: options.env ?? process.env,
      ...(options.startedWith ? { startedWith: options.startedWith } : {}),
      procedureRunning: () => Boolean(live.state.procedure && !live.state.procedure.endedAt),
      alerts: {
        current: () => operators.defaults,
        set: (settings) => {
          operators.setRoomDefaults(settings);
          liveSession.roomDefaultsChanged();
        },
      },
      procedures: { current: () => controller.currentRules, set: (rules) => controller.setRules(rules) },
      capture: {
        current: () => {
          const layout = capture?.layout();
          return layout?.recording && { analysis: layout.analysis, recording: layout.recording };
        },
        relayout: async (settings, reason) => capture?.relayout(settings, reason),
      },
      publish: (result) => publisher?.publishCommandResult(result),
      log: log.child({ part: 'twin' }),
    });
    const procedureTimer = setInterval(() => {
      controller.tick();
      if (idle.due(operators.signedIn !== null, controller.current !== undefined)) {
        log.info({ operator: operators.signedIn }, 'signed out after the idle time');
        liveSession.signIn(null);
      }
    }, 1000);
    parts.add('procedure-timer', () => clearInterval(procedureTimer));

    const app = createEdgeApp({
      log,
      push,
      realtime: { analyse: (frame) => stills.analyse(frame), size },
      alerts: {
        acknowledge: (id, by) => liveSession.acknowledge(id, actor(by) ?? UNSIGNED_ACTOR),
        dismiss: (id, by) => liveSession.dismiss(id, actor(by) ?? UNSIGNED_ACTOR),
        thumbnail: (id) => thumbnails.get(id),
      },
      procedures: {
        unavailable: () =>
          live.state.source.state === 'ended'
            ? 'the video source has ended: there is nothing to analyse'
            : undefined,
        current: () => controller.current,
        start: (by) => liveSession.startProcedure(actor(by)),
        end: (by) => {
          const endedBy = actor(by) ?? UNSIGNED_ACTOR;
          const ended = liveSession.endProcedure(endedBy);
          return ended && { ...ended, endedBy };
        },
        markCecum: (by) => liveSession.markCecum(actor(by) ?? UNSIGNED_ACTOR),
      },
      operators: {
        list: () => operators.list(),
        signedIn: () => operators.signedInPerson,
        signIn: (person) => {
          idle.touch();
          liveSession.signIn(person);
        },
        verify: (entry) => screenSignIn.verify(entry),
        methods: () => {
          const held = roomCredentials.list();
          return {
            pin: held.some((c) => c.pinHash),
            badge: held.some((c) => c.badgeHash),
            typedName: config.screen.typedNames && !roomCredentials.everHeld,
            lockedForSeconds: screenSignIn.lockedForSeconds,
          };
        },
        settingsFor: (name) => operators.settingsFor(name),
        save: (name, changes) => {
          const saved = operators.save(name, changes);
          liveSession.settingsChanged(name);
          return saved;
        },
      },
      privacy: {
        ...config.privacy,
        configured: config.privacyMasks,
        layout: {
          get boxes() {
            return maskLayout.boxes;
          },
          edit: (boxes, by) => maskLayout.edit(boxes, actor(by)),
        },
      },
      chat: {
        service: edgeChatService({
          db,
          outbox,
          vlm,
          timeoutMs: config.vlm.timeoutMs,
          onScreen: () => ({
            procedureId: live.state.procedure?.id,
            snapshot: liveSnapshot({
              jpeg: push.latestPreview,
              latest: live.state.latest,
              latestFullScan: live.latestFullScan,
              stalled: live.state.analysis.state === 'stalled',
              layout: maskLayout.boxes,
            }),
          }),
          recogniser: chatRecogniser,
          log: log.child({ part: 'chat' }),
        }),
        currentProcedureId: () => live.state.procedure?.id,
        // Undefined: the request's `by`, on a box that never held a credential (screen-actor.ts).
        askedBy: () => actor() ?? (roomCredentials.everHeld ? UNSIGNED_ACTOR : undefined),
        recorded: () => publisher?.notify(),
      },
      frameFindings,
      metrics,
      db,
      live: () => live.state,
      analysis: () => live.state.analysis,
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
    const http = await listenHttp(
      app.fetch,
      {
        host: config.http.host,
        port: config.http.port,
        hostSetting: 'GIC_EDGE_HOST',
        portSetting: 'GIC_EDGE_PORT',
      },
      log,
    );
    push.attach(http.server as Server, snapshot);
    parts.add('http', async () => {
      await push.close();
      await http.close();
    });
    // Telemetry to the hub every 15 s, and at once when the disk or the recorder changes state.
    // The machine's load is sampled on the 15 s beat (CPU use is measured between samples).
    const hostSampler = new HostStatsSampler();
    let hostStats: HostStats | undefined;
    void hostSampler.sample().then((s) => {
      hostStats = s;
    });
    const publishTelemetry = () =>
      publisher?.publishTelemetry(
        buildTelemetry(live.state, outbox.size(), uploader?.progress, analyzer, {
          appVersion: EDGE_VERSION,
          ...(hostStats ? { host: hostStats } : {}),
        }),
      );
    // Disk: evict verified local copies beyond the limit, warn the room when space runs low, and stop
    // recording cleanly before the disk is full.
    const disk = new DiskWatch(
      db,
      recordingsDir,
      {
        warnFreeBytes: config.diskMinFreeBytes,
        stopFreeBytes: config.diskStopFreeBytes,
        maxRecordingsBytes: config.recordingsMaxBytes,
      },
      log,
      async (report, changed) => {
        live.state.disk = report;
        if (!changed) return;
        await capture?.allowRecording(report.recording);
        publishTelemetry();
        broadcast();
      },
    );
    await disk.check();
    disk.start(DISK_CHECK_MS);
    parts.add('disk-check', () => disk.stop());
    const telemetryTimer = setInterval(() => {
      hostSampler.sample().then(
        (s) => {
          hostStats = s;
          publishTelemetry();
        },
        () => publishTelemetry(),
      );
    }, 15_000);
    parts.add('telemetry', () => clearInterval(telemetryTimer));
    // Screens hear of sync and source changes at least once a second, even with no new frames.
    const heartbeat = setInterval(broadcast, 1000);
    parts.add('live-push', () => clearInterval(heartbeat));
    const httpUrl = `http://${config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host}:${http.port}`;

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
        // Key rotation: due by age, or one cut short before (finished first: the hub may already
        // refuse the old key); then checked every six hours, or a minute after a failed try.
        const credentialsPath = join(config.dataDir, 'device-credentials.json');
        const rotateIfDue = async (): Promise<boolean> => {
          if (
            !existsSync(nextCredentialsPath(credentialsPath)) &&
            !keyRotationDue(keyCreatedAt(credentials), config.keyRotationDays)
          )
            return true;
          try {
            await rotateDeviceKey(credentialsPath, credentials, log.child({ part: 'key-rotation' }));
            await publisher?.credentialsChanged();
            return true;
          } catch (err) {
            log.warn({ err: (err as Error).message }, 'key rotation failed; trying again in a minute');
            return false;
          }
        };
        const scheduleRotation = (ok: boolean) => {
          if (syncAbort.signal.aborted) return;
          keyRotationTimer = setTimeout(
            () => void rotateIfDue().then(scheduleRotation),
            ok ? 6 * 3600_000 : 60_000,
          );
          keyRotationTimer.unref();
        };
        if (existsSync(nextCredentialsPath(credentialsPath))) await rotateIfDue();
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
        // Remote commands from the hub, on the publisher's connection (subscribed at its first connect).
        startRemoteCommands({
          db,
          credentials,
          publisher,
          hubClient: new HubClient(credentials),
          procedureRunning: () => Boolean(live.state.procedure && !live.state.procedure.endedAt),
          restartCapture: async (reason) => capture?.restart(reason),
          models: () => ({ loaded: analyzer.models, off: analyzer.modelsOff }),
          modelsDir: config.modelsDir,
          // A new model version: both analysis threads load it, and are warmed up before frames reach it.
          reloadAnalyzers: async () => {
            await Promise.all([analyzer.reload(), stills.reload()]);
            await Promise.all([analyzer.warmUp(WARM_UP_SIZE), stills.warmUp(size)]);
            // The hub hears of the versions now running at once, not at the next report.
            publishTelemetry();
          },
          source: () => live.state.source,
          dataDir: config.dataDir,
          diskWarnFreeBytes: config.diskMinFreeBytes,
          logText: () => options.recentLog?.text() ?? '',
          config,
          log: log.child({ part: 'commands' }),
          onConfig: (command) => twin.handle(command),
        });
        await publisher.start();
        // What the box runs of the desired configuration (a restart may have applied more of it).
        twin.reconcile().catch(() => {}); // logged by the twin
        void rotateIfDue().then(scheduleRotation);
        const hubClient = new HubClient(credentials);
        roomSync = new RoomCredentialsSync(
          hubClient,
          roomCredentials,
          log.child({ part: 'room-credentials' }),
          () => {
            // A person whose credential was revoked (or who was disabled) is signed out at once.
            const person = operators.signedInPerson;
            if (person?.userId && !roomCredentials.holds(person.userId)) {
              log.info(
                { operator: person.name, userId: person.userId },
                'signed out: credential revoked at the hub',
              );
              liveSession.signIn(null);
            }
          },
        );
        roomSync.start(config.screen.roomCredentialsSyncMs);
        uploader = new RecordingUploader(
          recordings,
          hubClient,
          log.child({ part: 'upload' }),
          config.uploadPartBytes,
          config.uploadMaxBytesPerSecond,
          config.uploadParallelParts,
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
      clearTimeout(keyRotationTimer);
      await roomSync?.stop();
      await uploadLoop?.stop();
      await publisher?.stop();
    });

    // Live analysis that stops while the source is live is a stall: shown, reported, and the capture
    // pipeline restarted (a card that stopped delivering, a decoder that hangs).
    const watchdog = new AnalysisWatchdog(config.analysisStallMs, {
      sourceState: () => live.state.source.state,
      restart: async (reason) => {
        log.error(
          { reason, restarts: watchdog.health.restarts },
          'analysis stalled; restarting the capture pipeline',
        );
        await capture?.restart(reason);
      },
      changed: (health) => {
        if (live.state.analysis.state === 'stalled' && health.state !== 'stalled')
          log.info({ state: health.state }, 'analysis no longer stalled');
        live.state.analysis = health;
        publishTelemetry();
        broadcast();
      },
    });
    const watchdogTimer = setInterval(() => watchdog.tick(), 1000);
    parts.add('analysis-watchdog', () => clearInterval(watchdogTimer));

    // Capture: frames to analysis and the live session, the recorder's files to their procedures.
    const thumbnails = new AlertThumbnails(db, log.child({ part: 'thumbnails' }));
    capture = startLiveCapture({
      layout: {
        source: config.source,
        realtime: config.realtime,
        analysis: { ...config.analysisMaxSize, fps: config.analysisFps },
        masks: config.privacyMasks,
        preview: { width: 640, fps: 10 },
        recording: config.recording,
      },
      recordingsDir,
      analyzer,
      session: liveSession,
      controller,
      segments,
      privacyMode,
      maskLayout,
      log,
      minFps: config.analysisMinFps,
      fullScanMs: config.fullScanMs,
      observeBatch: (seconds, frames) => {
        batchSeconds.observe(seconds);
        batchFrames.observe(frames);
      },
      onDropped: (frames) => framesDropped.inc(frames),
      onRaised: (alert, frame, analysis, mask) => thumbnails.create(alert, frame, analysis, mask),
      onRecorderState: (error) => {
        const changed = (live.state.recorder.error ?? null) !== error;
        live.state.recorder = { recording: error === null, ...(error ? { error: error.slice(0, 500) } : {}) };
        if (changed) {
          publishTelemetry();
          broadcast();
        }
      },
      onPreview: (jpeg) => push.preview(jpeg),
      onAnalysed: () => watchdog.frameAnalysed(),
      onFrameForModel: (frame, analysis, mask) => frameFindings.offer(frame, analysis, mask),
      onRunStarted: () => watchdog.sourceStarted(),
      onSourceState: (state, message) => {
        live.state.source.state = state;
        live.state.source.message = message;
        if (state === 'no-signal') {
          log.error({ reason: message }, 'no signal from the video source; retrying');
          publisher?.publishStatus('no-signal');
        } else if (state === 'live') {
          publisher?.publishStatus(controller.current ? 'in-procedure' : 'online');
        }
      },
    });
    const supervisor = capture.supervisor;
    if (live.state.disk && !live.state.disk.recording) await capture.allowRecording(false);
    const sourceEnded = supervisor.start();
    parts.add('capture', async () => {
      await supervisor.stop();
      await thumbnails.settle();
    });
    log.info({ url: httpUrl, source: config.source.kind }, 'edge started');
    return { db, httpUrl, sourceEnded, enrolled, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

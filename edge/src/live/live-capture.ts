import { AdaptiveSampler } from '@gic/shared/analysis/adaptive-sampler.js';
import { LiveAnalysisLoop } from '@gic/shared/analysis/live-analysis-loop.js';
import type { PrivacyMask, PrivacyMode } from '@gic/shared/analysis/privacy/privacy-mask.js';
import { ScanCadence } from '@gic/shared/analysis/scan-cadence.js';
import type { StageTimes } from '@gic/shared/analysis/stage-times.js';
import type { Analyzer } from '@gic/shared/analysis/threaded-analyzer.js';
import type { Logger } from '@gic/shared/logging/logger.js';
import type { RgbFrame } from '@gic/shared/media/frame.js';
import type { FrameAnalysis } from '@gic/shared/messages/events.js';
import { withIdleTimeout } from '@gic/shared/process/with-idle-timeout.js';
import type { Alert } from '../alerts/alert-tracker.js';
import type { CaptureEnd } from '../capture/capture-pipeline.js';
import {
  type CaptureRun,
  CaptureSupervisor,
  type SourceState,
  type SupervisedLayout,
} from '../capture/capture-supervisor.js';
import { RECORDER_DELAY_MS, RecorderMask } from '../capture/recorder-mask.js';
import type { DeviceMaskLayout } from '../privacy/device-mask-layout.js';
import type { ProcedureController } from '../procedures/procedure-controller.js';
import type { SegmentRecordings } from '../upload/segment-recordings.js';
import { frameStagesChannel, frameStageTimes, type LiveFrameStages, lap } from './frame-stages.js';
import { LagWarnings } from './lag-warnings.js';
import type { LiveSession } from './live-session.js';

/**
 * How long a wait for the analysis (a run's end, a closed segment) goes on with no frame analysed,
 * failed or dropped (ms) before going on without it: a slow model that still makes progress is
 * waited for, a hung one is not.
 */
const ANALYSIS_IDLE_MS = 10_000;
/** Most frames analysed in one batch when several wait (a slow model, a busy CPU). */
const MAX_BATCH = 4;
/** A waiting frame this far behind the newest (stream ms) is dropped: the screen wants now, not a backlog. */
const MAX_LAG_MS = 500;
/**
 * While the latest analysis is this far behind the video (stream ms), the recorder burns out the whole
 * frame, as if the scope were outside: it runs RECORDER_DELAY_MS behind, and a late decision must
 * never let an out-of-body frame through (see RecorderMask).
 */
const SAFE_LAG_MS = 500;

export interface LiveCaptureDeps {
  layout: Omit<SupervisedLayout, 'privacyDelayMs'>;
  /** Analysis rate bounds: `layout.analysis.fps` is the most, under motion; this the least, when still. */
  minFps: number;
  /** A full privacy scan at least this often (stream ms), light ones between (ScanCadence); 0: all full. */
  fullScanMs: number;
  recordingsDir: string;
  analyzer: Analyzer;
  session: LiveSession;
  controller: ProcedureController;
  segments: SegmentRecordings;
  /** What the device masks outside the picture. */
  privacyMode: PrivacyMode;
  /** The device's on-screen-display layout (layer 3), learned here and edited from the screen. */
  maskLayout: DeviceMaskLayout;
  log: Logger;
  /** Seconds per analysed batch, for metrics. */
  observeBatch(seconds: number, frames: number): void;
  onDropped(frames: number): void;
  onPreview(jpeg: Buffer): void;
  /** Recording failed (a write error; retried with backoff): the message; null once a segment opens again. */
  onRecorderState(error: string | null): void;
  onSourceState(state: SourceState, message?: string): void;
  /** A finding alerted on this frame (for its thumbnail, burned with `mask`). */
  onRaised(alert: Alert, frame: RgbFrame, analysis: FrameAnalysis, mask: PrivacyMask): void;
  /** A frame was analysed (the watchdog's sign of progress). */
  onAnalysed?(): void;
  /**
   * Every analysed frame, for the VLM's frame analysis: must return at once (it runs on the live
   * path). `mask` gives the frame's privacy mask, for the few frames the model will see.
   */
  onFrameForModel?(frame: RgbFrame, analysis: FrameAnalysis, mask: () => PrivacyMask): void;
  /** A run of the source started delivering video. */
  onRunStarted?(): void;
}

/**
 * Wires the capture supervisor to the rest of the box. The appsink delivers frames at the most
 * analysis rate; the adaptive sampler keeps more of them under motion and fewer when the view is
 * still; kept frames wait in the live analysis loop, which analyses whatever waits in one batch and
 * drops frames that fell too far behind (a replayed file waits instead, so none is lost). Each
 * analysis decides what the recorder burns out and goes to the live session; the recorder's files go
 * to the procedures they belong to; the source's end or loss reaches the procedure controller.
 * Frame numbers and stream times run on across runs of the source, so a procedure that outlives a
 * lost signal keeps one timeline.
 */
export function startLiveCapture(deps: LiveCaptureDeps) {
  const { analyzer, session, controller, segments, log } = deps;
  let { fps } = deps.layout.analysis;
  const live = deps.layout.realtime || deps.layout.source.kind !== 'file';
  const newRecorderMask = () =>
    new RecorderMask({
      mode: deps.privacyMode,
      configured: deps.layout.masks,
      layout: () => deps.maskLayout.masking,
      holdText: deps.maskLayout.enabled,
    });
  let recorderMask = newRecorderMask();
  const behind = new LagWarnings(log, SAFE_LAG_MS);
  // A learned or edited layout reaches the recorder at once.
  deps.maskLayout.onChange(() => {
    const svg = recorderMask.refresh();
    if (svg) supervisor.setRecorderMask(svg);
  });
  const scans = new ScanCadence(deps.fullScanMs);
  let sampler = new AdaptiveSampler({ minFps: Math.min(deps.minFps, fps), maxFps: fps });
  // Where this run's frame numbers and times start, so they carry on from the last run's.
  let base = { index: 0, ptsMs: 0 };
  let next = { index: 0, ptsMs: 0 };
  let delivered = false; // the run has delivered a frame
  // Newest frame handed to analysis and newest analysed: apart, analysis is behind (skipped frames don't count).
  let lastPushedPtsMs: number | undefined;
  let lastAnalysedPtsMs: number | undefined;
  // Whether the box may record (a full disk says no); a split honours it.
  let recordingAllowed = true;
  // When the appsink delivered each waiting frame (epoch ms), for the screen's latency figure, and
  // (performance.now()) for stage times.
  const capturedAt = new Map<number, { epochMs: number; at: number }>();
  // Frames handed to the analysis and frames it is done with (analysed, failed or dropped), and who
  // waits for it to be done with every frame handed over until then (see `analysed` below).
  let pushed = 0;
  let settled = 0;
  let settledAt = performance.now();
  const settledWaiters: { upTo: number; resolve: () => void }[] = [];
  const settle = (frames: number) => {
    settled += frames;
    settledAt = performance.now();
    for (let i = settledWaiters.length - 1; i >= 0; i--) {
      if (settledWaiters[i]!.upTo > settled) continue;
      settledWaiters[i]!.resolve();
      settledWaiters.splice(i, 1);
    }
  };
  /**
   * Settles as `work` does, or rejects once the analysis has settled no frame for ANALYSIS_IDLE_MS:
   * a slow model that still makes progress is waited for, a hung model must not hold a recording or
   * a run's end open.
   */
  const whileAnalysing = (work: Promise<void>): Promise<void> =>
    withIdleTimeout(
      work,
      ANALYSIS_IDLE_MS,
      () => settledAt,
      () => new Error('analysis hangs'),
    );
  /** Resolves once every frame handed to the analysis so far has been analysed, failed or dropped. */
  const analysed = (): Promise<void> => {
    if (settled >= pushed) {
      log.debug('a closed segment has every frame captured so far analysed');
      return Promise.resolve();
    }
    const waiting = pushed - settled;
    log.debug({ waiting }, 'a closed segment waits for the analysis of the frames captured so far');
    const done = new Promise<void>((resolve) => settledWaiters.push({ upTo: pushed, resolve }));
    return whileAnalysing(done).catch(() =>
      log.warn(
        { waiting, left: pushed - settled },
        `a closed segment stopped waiting for the analysis, which settled no frame for ${ANALYSIS_IDLE_MS / 1000} s`,
      ),
    );
  };
  // While someone listens for stage times (frame-stages.ts): each waiting result's batch times.
  const batchTimes = new Map<number, { times: StageTimes; done: number; batch: number }>();

  const loop = new LiveAnalysisLoop<FrameAnalysis>({
    analyse: async (frames) => {
      const started = performance.now();
      const times = frameStageTimes();
      const analyses = await analyzer.analyseBatch(frames, scans.pick(frames), times);
      const done = performance.now();
      deps.observeBatch((done - started) / 1000, frames.length);
      if (times) {
        for (const f of frames) {
          const captured = capturedAt.get(f.index)?.at;
          const wait: StageTimes = captured === undefined ? {} : { wait: started - captured };
          batchTimes.set(f.index, { times: { ...wait, ...times }, done, batch: frames.length });
        }
      }
      return analyses;
    },
    maxBatch: MAX_BATCH,
    maxLagMs: live ? MAX_LAG_MS : Number.POSITIVE_INFINITY,
    onResult: (frame, analysis) => {
      const captured = capturedAt.get(frame.index);
      const timed = batchTimes.get(frame.index);
      batchTimes.delete(frame.index);
      const times = timed?.times;
      let at = lap(times, 'batch-mates', timed?.done);
      session.live.state.latestCapturedAt = captured?.epochMs ?? null;
      // A live frame's capture time places the timeline on the recording (see recording.sealed).
      if (live && captured) analysis.capturedAt = new Date(captured.epochMs).toISOString();
      lastAnalysedPtsMs = frame.ptsMs;
      capturedAt.delete(frame.index);
      // After the session has heard of it (below): a procedure this frame starts has started.
      queueMicrotask(() => settle(1));
      deps.onAnalysed?.();
      const svg = recorderMask.update(analysis);
      if (svg) supervisor.setRecorderMask(svg);
      at = lap(times, 'mask', at);
      deps.maskLayout.observe(analysis);
      if (analysis.quality.inBody) {
        const share = recorderMask.maskedInPicture(frame.width / frame.height);
        if (share !== undefined) analysis.maskedInPicture = share;
      }
      lap(times, 'layout', at);
      const raised = session.analysed(analysis, times);
      const pushedAt = times && performance.now();
      for (const alert of raised) deps.onRaised(alert, frame, analysis, recorderMask.frameMask(analysis));
      deps.onFrameForModel?.(frame, analysis, () => recorderMask.frameMask(analysis));
      lap(times, 'after-push', pushedAt);
      if (times && captured) {
        frameStagesChannel.publish({
          frameIndex: frame.index,
          scan: analysis.scan,
          batch: timed!.batch,
          capturedAt: captured.at,
          pushedAt: pushedAt!,
          stages: times,
        } satisfies LiveFrameStages);
      }
    },
    onDrop: (frames) => {
      settle(frames.length);
      for (const f of frames) capturedAt.delete(f.index);
      for (const f of frames) batchTimes.delete(f.index);
      deps.onDropped(frames.length);
    },
    // A frame that cannot be analysed (corrupt, truncated) is skipped; live analysis goes on.
    onError: (err, frames) => {
      settle(frames.length);
      for (const f of frames) capturedAt.delete(f.index);
      for (const f of frames) batchTimes.delete(f.index);
      log.warn({ err: (err as Error).message, frames: frames.length }, 'frames could not be analysed');
    },
  });

  const supervisor = new CaptureSupervisor(
    { ...deps.layout, privacyDelayMs: RECORDER_DELAY_MS },
    deps.recordingsDir,
    {
      onRunStart: () => {
        base = { ...next };
        delivered = true;
        recorderMask = newRecorderMask();
        lastAnalysedPtsMs = undefined;
        lastPushedPtsMs = undefined;
        sampler = new AdaptiveSampler({ minFps: Math.min(deps.minFps, fps), maxFps: fps });
        controller.runStarted();
        deps.onRunStarted?.();
      },
      onSegmentOpened: (_run, segment) => {
        // A segment opens on the first access unit the recorder receives, which the recorder's
        // queue held RECORDER_DELAY_MS of stream time behind the tee (the encoder adds a few ms at
        // zero latency): for a live source, stream time is wall-clock time, so its first frame was
        // captured that long ago. A file replayed at analysis pace has no such relation: unknown.
        segments.opened(segment.path, live ? new Date(Date.now() - RECORDER_DELAY_MS) : undefined);
        deps.onRecorderState(null);
      },
      // Awaited by the supervisor before the run ends: every segment is sealed (or deleted) in order.
      // A segment cut short by a failed write holds less than the frames written (up to its last
      // whole fragment): its duration is then not known.
      onSegmentClosed: (_run, segment) =>
        segments.closed(segment.path, segment.error ? undefined : segment.durationMs, analysed),
      onRecorderError: (_run, message) => {
        log.error({ reason: message }, 'recording failed; analysis goes on and recording is retried');
        deps.onRecorderState(message);
      },
      onWarning: (_run, message) => log.warn({ reason: message }, 'capture warning'),
      onFrame: async (_run: CaptureRun, raw: RgbFrame) => {
        const index = raw.index + base.index;
        const ptsMs = raw.ptsMs + base.ptsMs;
        next = { index: index + 1, ptsMs: ptsMs + 1000 / fps };
        // The sampler keeps a coarse luma grid, not the frame: it reads the appsink's buffer, and only
        // the frames it keeps are copied (2.7 MB at 1280x720).
        if (!sampler.offer({ ...raw, index, ptsMs })) return;
        // The appsink's buffer is ours only until the next pull; a waiting frame keeps a copy.
        const frame = { ...raw, data: Buffer.from(raw.data), index, ptsMs };
        // Analysis has fallen behind the video: fail closed, mask everything until it catches up.
        if (
          lastPushedPtsMs !== undefined &&
          lastAnalysedPtsMs !== undefined &&
          lastPushedPtsMs - lastAnalysedPtsMs > SAFE_LAG_MS
        ) {
          const svg = recorderMask.failClosed(frame.ptsMs);
          if (svg) supervisor.setRecorderMask(svg);
          behind.failedClosed(lastPushedPtsMs - lastAnalysedPtsMs);
        }
        capturedAt.set(frame.index, { epochMs: Date.now(), at: performance.now() });
        lastPushedPtsMs = frame.ptsMs;
        pushed++;
        loop.push(frame);
        // A replayed file is paced by analysis, one frame at a time, as its recorder's delay is in
        // stream time: nothing is dropped, and no frame reaches the encoder before its mask decision.
        if (!live) await loop.drain();
      },
      onPreview: (jpeg) => deps.onPreview(jpeg),
      onRunEnd: async (run: CaptureRun, end: CaptureEnd) => {
        // Every frame of the run is analysed (or dropped as stale) before the procedure hears of its
        // end; a model that hangs must not hold the capture (or a shutdown) with it.
        await whileAnalysing(loop.drain()).catch(() =>
          log.error(
            { waiting: loop.stats.waiting },
            `the capture run ended with frames the analysis did not finish: it settled none for ${ANALYSIS_IDLE_MS / 1000} s`,
          ),
        );
        if (!delivered) return; // the source never delivered video
        delivered = false;
        // A file's end ends its procedure, as does shutting down; a lost source only if it stays lost;
        // a looping file (a tower replayed) starts over at once, as one continuing stream.
        // Its segments are closed already, so the last one learns it was final from the controller.
        const source = deps.layout.source;
        if (end.kind === 'stopped') controller.end('shutdown');
        else if (end.kind === 'eos' && source.kind === 'file') {
          if (!source.loop) controller.sourceEnded();
        } else controller.sourceLost();
        log.info({ end: end.kind, frames: run.frames, ...loop.stats }, 'capture run ended');
      },
      onState: deps.onSourceState,
    },
  );
  return {
    supervisor,
    /** Ends the current run and starts a new one at once (see CaptureSupervisor.restart). */
    restart: (reason: string) => supervisor.restart(reason),
    /** The analysis and recording settings runs are built with now. */
    layout: () => ({ analysis: deps.layout.analysis, recording: deps.layout.recording }),
    /**
     * Rebuilds the pipeline with new analysis and recording settings (the hub's desired
     * configuration): the current run ends with its segments closed, the next uses them.
     */
    relayout: async (
      changes: Pick<LiveCaptureDeps['layout'], 'analysis' | 'recording'>,
      reason: string,
    ): Promise<void> => {
      deps.layout = { ...deps.layout, ...changes };
      fps = deps.layout.analysis.fps;
      supervisor.setLayout({ ...supervisor.currentLayout, ...changes });
      await supervisor.restart(reason);
    },
    sampler: () => sampler,
    stats: () => loop.stats,
    /** Closes the recorder's open segment and starts the next (a procedure ended): no file holds two patients. */
    splitRecording: async () => {
      if (!supervisor.recordingOn) return;
      await supervisor.setRecording(false);
      if (recordingAllowed) await supervisor.setRecording(true);
    },
    /** Stops (a full disk) or resumes recording; analysis goes on either way. */
    allowRecording: async (on: boolean) => {
      recordingAllowed = on;
      if (supervisor.recordingOn !== on) await supervisor.setRecording(on);
    },
  };
}

import type { FrameAnalyzer } from '@gic/shared/analysis/frame-analyzer.js';
import type { Logger } from '@gic/shared/logging/logger.js';
import type { RgbFrame } from '@gic/shared/media/frame.js';
import type { CaptureEnd } from '../capture/capture-pipeline.js';
import { type CaptureRun, CaptureSupervisor, type SourceState } from '../capture/capture-supervisor.js';
import type { CaptureLayout } from '../capture/pipeline-description.js';
import { RECORDER_DELAY_MS, RecorderMask } from '../capture/recorder-mask.js';
import type { ProcedureController } from '../procedures/procedure-controller.js';
import type { SegmentRecordings } from '../upload/segment-recordings.js';
import type { LiveSession } from './live-session.js';

export interface LiveCaptureDeps {
  layout: Omit<CaptureLayout, 'recordingPath' | 'privacyDelayMs'>;
  recordingsDir: string;
  analyzer: FrameAnalyzer;
  session: LiveSession;
  controller: ProcedureController;
  segments: SegmentRecordings;
  log: Logger;
  /** Per-frame analysis time, for metrics. */
  timeAnalysis(): () => void;
  onPreview(jpeg: Buffer): void;
  onSourceState(state: SourceState, message?: string): void;
}

/**
 * Wires the capture supervisor to the rest of the box: each sampled frame is analysed, decides what
 * the recorder burns out, and goes to the live session; the recorder's files go to the procedures
 * they belong to; the source's end or loss reaches the procedure controller. Frame numbers and
 * stream times run on across runs of the source, so a procedure that outlives a lost signal keeps
 * one timeline.
 */
export function startLiveCapture(deps: LiveCaptureDeps) {
  const { analyzer, session, controller, segments, log } = deps;
  const { fps } = deps.layout.analysis;
  let recorderMask = new RecorderMask(deps.layout.masks);
  // Where this run's frame numbers and times start, so they carry on from the last run's.
  let base = { index: 0, ptsMs: 0 };
  let next = { index: 0, ptsMs: 0 };
  let segmentPath: string | undefined;

  const supervisor = new CaptureSupervisor(
    { ...deps.layout, privacyDelayMs: RECORDER_DELAY_MS },
    deps.recordingsDir,
    {
      onRunStart: (run: CaptureRun) => {
        base = { ...next };
        recorderMask = new RecorderMask(deps.layout.masks);
        controller.runStarted();
        segmentPath = run.recordingPath;
        segments.opened(run.recordingPath);
      },
      onFrame: async (_run: CaptureRun, raw: RgbFrame) => {
        const frame = { ...raw, index: raw.index + base.index, ptsMs: raw.ptsMs + base.ptsMs };
        next = { index: frame.index + 1, ptsMs: frame.ptsMs + 1000 / fps };
        const done = deps.timeAnalysis();
        const analysis = await analyzer.analyse(frame);
        done();
        const svg = recorderMask.update(frame.ptsMs, analysis.quality.inBody);
        if (svg) supervisor.setRecorderMask(svg);
        session.analysed(analysis);
      },
      onPreview: (jpeg) => deps.onPreview(jpeg),
      onRunEnd: async (run: CaptureRun, end: CaptureEnd) => {
        // A run that never delivered a frame recorded nothing worth keeping: closed() deletes it.
        if (segmentPath === run.recordingPath) {
          segmentPath = undefined;
          // A file's end ends its procedure, as does shutting down; a lost source only if it stays lost.
          if (end.kind === 'stopped') controller.end('shutdown');
          else if (end.kind === 'eos' && deps.layout.source.kind === 'file') controller.sourceEnded();
          else controller.sourceLost();
          log.info({ end: end.kind, frames: run.frames }, 'capture run ended');
        }
        await segments.closed(run.recordingPath);
      },
      onState: deps.onSourceState,
    },
  );
  return supervisor;
}

import type { FrameAnalyzer } from '@gic/shared/analysis/frame-analyzer.js';
import type { HostStats, Telemetry } from '@gic/shared/messages/events.js';
import type { LiveState } from '../live/live-state.js';
import type { UploadProgress } from '../upload/recording-uploader.js';

/** The box's health and backlog for the hub's fleet view, from the live state (sent every 15 s and on change). */
export function buildTelemetry(
  live: LiveState,
  pendingEvents: number,
  upload: UploadProgress | undefined,
  analyzer: Pick<FrameAnalyzer, 'models' | 'modelsOff'>,
  box: { appVersion?: string; host?: HostStats } = {},
): Telemetry {
  const { analysis } = live;
  return {
    ts: new Date().toISOString(),
    source: {
      state: live.source.state,
      ...(live.source.message ? { message: live.source.message.slice(0, 500) } : {}),
    },
    procedureId: live.procedure && !live.procedure.endedAt ? live.procedure.id : null,
    analysisFps: live.analysisFps,
    analysis: {
      state: analysis.state,
      restarts: analysis.restarts,
      ...(analysis.since ? { since: analysis.since } : {}),
      ...(analysis.message ? { message: analysis.message.slice(0, 500) } : {}),
    },
    pendingEvents,
    upload: upload
      ? {
          recordingId: upload.recordingId,
          status: upload.status,
          partsDone: upload.partsDone,
          partCount: upload.partCount,
        }
      : null,
    disk: live.disk,
    recorder: live.recorder,
    models: analyzer.models,
    modelsOff: analyzer.modelsOff,
    ...(box.appVersion ? { appVersion: box.appVersion } : {}),
    ...(box.host ? { host: box.host } : {}),
  };
}

import { z } from 'zod';

const text = z.string().min(1);
const num = z.number();
const section = <T extends z.ZodRawShape>(shape: T) => z.strictObject(shape).optional();

/**
 * The edge's configuration file (JSON), for a box set up once and left in a room: the same settings
 * as the environment variables, grouped. Unknown keys are refused, so a typo is an error, not a
 * setting silently ignored. Ranges are checked with the environment variables' own rules.
 */
export const edgeConfigFileSchema = z.strictObject({
  name: text.optional(),
  hubUrl: text.optional(),
  mqttUrl: text.optional(),
  dataDir: text.optional(),
  http: section({ host: text.optional(), port: num.optional() }),
  source: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('test') }),
      z.strictObject({
        kind: z.literal('file'),
        path: text,
        loop: z.boolean().optional(),
        /** Pace the file at its own frame rate, as a tower would (default true). */
        realtime: z.boolean().optional(),
      }),
      z.strictObject({ kind: z.literal('v4l2'), device: text.default('/dev/video0') }),
      z.strictObject({
        kind: z.literal('rtsp'),
        url: z.string().regex(/^rtsps?:\/\//, 'must be rtsp:// or rtsps://'),
      }),
    ])
    .optional(),
  analysis: section({
    fps: num.optional(),
    minFps: num.optional(),
    maxSize: text.optional(),
    stallSeconds: num.optional(),
    fullScanMs: num.optional(),
  }),
  models: section({ dir: text.optional(), ids: z.array(text).optional() }),
  privacyMasks: z.array(z.unknown()).optional(),
  privacy: section({ mode: text.optional() }),
  recording: section({
    segmentSeconds: num.optional(),
    size: text.optional(),
    fps: num.optional(),
    maxGb: num.optional(),
    diskMinFreeGb: num.optional(),
    diskStopFreeGb: num.optional(),
  }),
  upload: section({ partMb: num.optional(), maxMbps: num.optional(), parallelParts: num.optional() }),
  procedures: section({
    auto: z.boolean().optional(),
    autoStartSeconds: num.optional(),
    autoEndSeconds: num.optional(),
    sourceLostEndSeconds: num.optional(),
  }),
  alerts: section({ sensitivity: num.optional(), minDurationMs: num.optional(), cooldownMs: num.optional() }),
  logLevel: text.optional(),
});
export type EdgeConfigFile = z.infer<typeof edgeConfigFileSchema>;

/** Where each file setting lands: file key -> environment variable. */
export const EDGE_FILE_VARIABLES: Readonly<Record<string, string>> = {
  name: 'GIC_EDGE_NAME',
  hubUrl: 'GIC_HUB_URL',
  mqttUrl: 'GIC_MQTT_URL',
  dataDir: 'GIC_EDGE_DATA_DIR',
  'http.host': 'GIC_EDGE_HOST',
  'http.port': 'GIC_EDGE_PORT',
  source: 'GIC_SOURCE',
  'source.loop': 'GIC_SOURCE_LOOP',
  'source.realtime': 'GIC_REPLAY_REALTIME',
  'analysis.fps': 'GIC_ANALYSIS_FPS',
  'analysis.minFps': 'GIC_ANALYSIS_MIN_FPS',
  'analysis.stallSeconds': 'GIC_ANALYSIS_STALL_S',
  'analysis.fullScanMs': 'GIC_FULL_SCAN_MS',
  'analysis.maxSize': 'GIC_ANALYSIS_MAX_SIZE',
  'models.dir': 'GIC_MODELS_DIR',
  'models.ids': 'GIC_MODELS',
  privacyMasks: 'GIC_PRIVACY_MASKS',
  'privacy.mode': 'GIC_PRIVACY_MODE',
  'recording.segmentSeconds': 'GIC_RECORDING_SEGMENT_S',
  'recording.size': 'GIC_RECORDING_SIZE',
  'recording.fps': 'GIC_RECORDING_FPS',
  'recording.maxGb': 'GIC_RECORDINGS_MAX_GB',
  'recording.diskMinFreeGb': 'GIC_DISK_MIN_FREE_GB',
  'recording.diskStopFreeGb': 'GIC_DISK_STOP_FREE_GB',
  'upload.partMb': 'GIC_UPLOAD_PART_MB',
  'upload.maxMbps': 'GIC_UPLOAD_MAX_MBPS',
  'upload.parallelParts': 'GIC_UPLOAD_PARALLEL_PARTS',
  'procedures.auto': 'GIC_PROCEDURE_AUTO',
  'procedures.autoStartSeconds': 'GIC_PROCEDURE_AUTO_START_S',
  'procedures.autoEndSeconds': 'GIC_PROCEDURE_AUTO_END_S',
  'procedures.sourceLostEndSeconds': 'GIC_SOURCE_LOST_END_S',
  'alerts.sensitivity': 'GIC_ALERT_SENSITIVITY',
  'alerts.minDurationMs': 'GIC_ALERT_MIN_DURATION_MS',
  'alerts.cooldownMs': 'GIC_ALERT_COOLDOWN_MS',
  logLevel: 'GIC_LOG_LEVEL',
};

/**
 * A file's settings by key (`alerts.sensitivity`), each as the value its environment variable takes
 * (undefined where the file is silent). `near` resolves a path in the file (the file's own folder).
 */
export function edgeFileValues(file: EdgeConfigFile, near: (p: string) => string): Record<string, unknown> {
  return {
    name: file.name,
    hubUrl: file.hubUrl,
    mqttUrl: file.mqttUrl,
    dataDir: file.dataDir && near(file.dataDir),
    'http.host': file.http?.host,
    'http.port': file.http?.port,
    source: sourceValue(file.source, near),
    'source.loop': file.source?.kind === 'file' ? file.source.loop : undefined,
    'source.realtime': file.source?.kind === 'file' ? file.source.realtime : undefined,
    'analysis.fps': file.analysis?.fps,
    'analysis.minFps': file.analysis?.minFps,
    'analysis.stallSeconds': file.analysis?.stallSeconds,
    'analysis.fullScanMs': file.analysis?.fullScanMs,
    'analysis.maxSize': file.analysis?.maxSize,
    'models.dir': file.models?.dir && near(file.models.dir),
    'models.ids': file.models?.ids?.join(','),
    privacyMasks: file.privacyMasks && JSON.stringify(file.privacyMasks),
    'privacy.mode': file.privacy?.mode,
    'recording.segmentSeconds': file.recording?.segmentSeconds,
    'recording.size': file.recording?.size,
    'recording.fps': file.recording?.fps,
    'recording.maxGb': file.recording?.maxGb,
    'recording.diskMinFreeGb': file.recording?.diskMinFreeGb,
    'recording.diskStopFreeGb': file.recording?.diskStopFreeGb,
    'upload.partMb': file.upload?.partMb,
    'upload.maxMbps': file.upload?.maxMbps,
    'upload.parallelParts': file.upload?.parallelParts,
    'procedures.auto': file.procedures?.auto,
    'procedures.autoStartSeconds': file.procedures?.autoStartSeconds,
    'procedures.autoEndSeconds': file.procedures?.autoEndSeconds,
    'procedures.sourceLostEndSeconds': file.procedures?.sourceLostEndSeconds,
    'alerts.sensitivity': file.alerts?.sensitivity,
    'alerts.minDurationMs': file.alerts?.minDurationMs,
    'alerts.cooldownMs': file.alerts?.cooldownMs,
    logLevel: file.logLevel,
  };
}

/** The environment variables a file's settings stand for, by variable (unset ones left out). */
export function edgeFileVariables(values: Record<string, unknown>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(values))
    if (value !== undefined) env[EDGE_FILE_VARIABLES[key]!] = String(value);
  return env;
}

function sourceValue(source: EdgeConfigFile['source'], near: (p: string) => string): string | undefined {
  switch (source?.kind) {
    case undefined:
      return undefined;
    case 'test':
      return 'test';
    case 'file':
      return `file:${near(source.path)}`;
    case 'v4l2':
      return `v4l2:${source.device}`;
    case 'rtsp':
      return source.url;
  }
}

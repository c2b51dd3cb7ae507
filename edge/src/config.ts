import { resolve } from 'node:path';
import { type SourceConfig, edgeSettingsSchema as schema } from '@gic/shared/config/edge-settings.js';
import { ConfigError, parseEnv } from '@gic/shared/config/parse-env.js';
import { vlmConfigFromEnv } from '@gic/shared/vlm/vlm-config.js';
import type { z } from 'zod';
import { alertSettingsSchema } from './alerts/alert-settings.js';
import { readEdgeConfigFile } from './config-file.js';

export type { PrivacyLayer, SourceConfig } from '@gic/shared/config/edge-settings.js';
export { PRIVACY_LAYERS } from '@gic/shared/config/edge-settings.js';

export type EdgeConfig = ReturnType<typeof loadEdgeConfig>;

/**
 * Reads and validates the edge's settings, reporting every bad one at once: from the JSON file named
 * by GIC_EDGE_CONFIG (see config-file.ts), with environment variables taking precedence over it.
 * `desired`: the hub's desired configuration as variables (twin/), below both: the box's own wins.
 */
export function loadEdgeConfig(
  env: Record<string, string | undefined> = process.env,
  desired: Record<string, string> = {},
) {
  const file = env.GIC_EDGE_CONFIG ? readEdgeConfigFile(env.GIC_EDGE_CONFIG) : { env: {}, origin: {} };
  const merged = { ...desired, ...file.env };
  for (const [key, value] of Object.entries(env))
    if (value !== undefined && value !== '') merged[key] = value;
  let c: z.infer<typeof schema>;
  try {
    c = parseEnv(schema, merged);
  } catch (err) {
    // A bad value from the file is reported by the file's key, not only the variable it stands for.
    if (!(err instanceof ConfigError)) throw err;
    throw new ConfigError(
      err.problems.map((problem) => {
        const variable = problem.split(':')[0]!;
        const local = env[variable] !== undefined && env[variable] !== '';
        const from = local
          ? undefined
          : (file.origin[variable] ??
            (desired[variable] === undefined ? undefined : 'the hub’s desired configuration'));
        return from ? `${from} (${problem})` : problem;
      }),
    );
  }
  const source: SourceConfig =
    c.GIC_SOURCE.kind === 'file' ? { ...c.GIC_SOURCE, loop: c.GIC_SOURCE_LOOP } : c.GIC_SOURCE;
  const dataDir = resolve(c.GIC_EDGE_DATA_DIR);
  return {
    http: { host: c.GIC_EDGE_HOST, port: c.GIC_EDGE_PORT },
    dataDir,
    name: c.GIC_EDGE_NAME,
    hubUrl: c.GIC_HUB_URL,
    enrolmentToken: c.GIC_ENROLMENT_TOKEN,
    mqttUrlOverride: c.GIC_MQTT_URL,
    source,
    realtime: c.GIC_REPLAY_REALTIME,
    analysisFps: c.GIC_ANALYSIS_FPS,
    analysisMinFps: Math.min(c.GIC_ANALYSIS_MIN_FPS, c.GIC_ANALYSIS_FPS),
    analysisStallMs: c.GIC_ANALYSIS_STALL_S * 1000,
    fullScanMs: c.GIC_FULL_SCAN_MS,
    modelsDir: resolve(c.GIC_MODELS_DIR),
    models: c.GIC_MODELS,
    /** The chat's vision-language model (GIC_VLM_*): off with the reason when none is supplied. */
    vlm: vlmConfigFromEnv(merged, resolve(c.GIC_MODELS_DIR)),
    /** Stream time between routine frame analyses by the VLM in the body, ms; 0: none. */
    vlmFrameEveryMs: c.GIC_VLM_FRAME_EVERY_S * 1000,
    privacyMasks: c.GIC_PRIVACY_MASKS,
    privacy: { mode: c.GIC_PRIVACY_MODE, layersOff: c.GIC_PRIVACY_LAYERS_OFF },
    analysisMaxSize: c.GIC_ANALYSIS_MAX_SIZE,
    uploadPartBytes: c.GIC_UPLOAD_PART_MB * 1024 * 1024,
    uploadMaxBytesPerSecond: c.GIC_UPLOAD_MAX_MBPS * 1_000_000,
    uploadParallelParts: c.GIC_UPLOAD_PARALLEL_PARTS,
    recordingsMaxBytes: c.GIC_RECORDINGS_MAX_GB * 1e9,
    alerts: alertSettingsSchema.parse({
      sensitivity: c.GIC_ALERT_SENSITIVITY,
      minDurationMs: c.GIC_ALERT_MIN_DURATION_MS,
      cooldownMs: c.GIC_ALERT_COOLDOWN_MS,
    }),
    diskMinFreeBytes: c.GIC_DISK_MIN_FREE_GB * 1e9,
    diskStopFreeBytes: c.GIC_DISK_STOP_FREE_GB * 1e9,
    procedures: {
      auto: c.GIC_PROCEDURE_AUTO,
      autoStartMs: c.GIC_PROCEDURE_AUTO_START_S * 1000,
      autoEndMs: c.GIC_PROCEDURE_AUTO_END_S * 1000,
      sourceLostEndMs: c.GIC_SOURCE_LOST_END_S * 1000,
    },
    recording: {
      segmentSeconds: c.GIC_RECORDING_SEGMENT_S,
      ...c.GIC_RECORDING_SIZE,
      fps: c.GIC_RECORDING_FPS,
    },
    keyRotationDays: c.GIC_KEY_ROTATION_DAYS,
    screen: {
      roomCredentialsSyncMs: c.GIC_ROOM_CREDENTIALS_SYNC_S * 1000,
      typedNames: c.GIC_SCREEN_TYPED_NAMES,
      throttle: {
        tries: c.GIC_SCREEN_SIGN_IN_TRIES,
        windowMs: c.GIC_SCREEN_SIGN_IN_WINDOW_S * 1000,
        lockMs: c.GIC_SCREEN_SIGN_IN_LOCK_S * 1000,
      },
      idleSignOutMs: c.GIC_SCREEN_IDLE_SIGN_OUT_MIN * 60_000,
    },
    logLevel: c.GIC_LOG_LEVEL,
  };
}

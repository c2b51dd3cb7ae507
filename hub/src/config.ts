import { availableParallelism } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { logLevelVar, portVar, urlVar } from '@gic/shared/config/env-types.js';
import { ConfigError, parseEnv } from '@gic/shared/config/parse-env.js';
import { vlmConfigFromEnv } from '@gic/shared/vlm/vlm-config.js';
import { z } from 'zod';
import { oidcEnvSchema, oidcSettings } from './auth/oidc/oidc-settings.js';
import { DEFAULT_BROKER_LIMITS } from './broker/broker-limits.js';

export const HUB_ROLES = ['api', 'ingest', 'worker', 'broker'] as const;
export type HubRole = (typeof HUB_ROLES)[number];

/** A host name or IP address to listen on or to give devices (no scheme, no port). */
const hostVar = z
  .string()
  .regex(
    /^(?:[A-Za-z0-9.-]+|[0-9A-Fa-f:]+)$/,
    'must be a host name or an IP address, without scheme or port',
  );

const boolFlag = z.enum(['true', 'false']).transform((v) => v === 'true');

const absolutePathVar = z.string().refine((p) => isAbsolute(p), 'must be an absolute path');

const listVar = z.string().transform((s) =>
  s
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean),
);

/** Browser origins (scheme, host and port, nothing else) the API answers cross-origin requests from. */
const originsVar = listVar.pipe(
  z.array(
    z.string().refine((o) => {
      try {
        const u = new URL(o);
        return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === o;
      } catch {
        return false;
      }
    }, 'each must be an origin such as https://portal.example.org (no path, no trailing slash)'),
  ),
);

const rolesVar = listVar.pipe(z.array(z.enum(HUB_ROLES)).min(1, 'name at least one role'));

const schema = z.object({
  /** Which parts this process runs; several processes may share one database, store and broker. */
  GIC_HUB_ROLES: rolesVar.default([...HUB_ROLES]),
  /** The address the hub listens on: HTTP, and unless set apart, the embedded broker and S3 server. */
  GIC_HUB_HOST: hostVar.default('127.0.0.1'),
  GIC_HUB_PORT: portVar.default(8080),
  /** The host name or address devices reach this machine by; every URL given to devices uses it. */
  GIC_HUB_PUBLIC_HOST: hostVar.optional(),
  /** The URL devices and browsers use to reach this hub's HTTP API (enrolment replies, uploads). */
  GIC_HUB_PUBLIC_URL: urlVar('http:', 'https:').optional(),
  GIC_MQTT_HOST: hostVar.optional(),
  GIC_MQTT_PORT: portVar.default(1883),
  /** An external broker; when unset and the broker role runs, the embedded aedes broker is used. */
  MQTT_URL: urlVar('mqtt:', 'mqtts:').optional(),
  /** URL devices are told to use for MQTT (defaults to MQTT_URL or the embedded broker's address). */
  GIC_MQTT_PUBLIC_URL: urlVar('mqtt:', 'mqtts:').optional(),
  /**
   * Ingest takes device events through this MQTT 5 shared subscription group (`$share/{group}/...`),
   * so that several ingest processes split them; needs an external MQTT 5 broker (MQTT_URL).
   */
  GIC_INGEST_SHARED_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - (1 to 64)')
    .optional(),
  /** Largest MQTT packet the embedded broker accepts (bytes); a larger one closes the connection. */
  GIC_MQTT_MAX_PACKET_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(268_435_455)
    .default(DEFAULT_BROKER_LIMITS.maxPacketBytes),
  /** A device's PUBLISH rate on the embedded broker: messages per second on average, and at once. */
  GIC_MQTT_RATE_MSGS_PER_S: z.coerce
    .number()
    .min(1)
    .max(1_000_000)
    .default(DEFAULT_BROKER_LIMITS.messagesPerSecond),
  GIC_MQTT_RATE_MSGS_BURST: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000_000)
    .default(DEFAULT_BROKER_LIMITS.messageBurst),
  /** A device's PUBLISH volume on the embedded broker: KiB per second on average, and at once. */
  GIC_MQTT_RATE_KIB_PER_S: z.coerce
    .number()
    .min(1)
    .max(10_000_000)
    .default(DEFAULT_BROKER_LIMITS.bytesPerSecond / 1024),
  GIC_MQTT_RATE_KIB_BURST: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000_000)
    .default(DEFAULT_BROKER_LIMITS.byteBurst / 1024),
  /** Certificate chain and private key (PEM files) for HTTPS and MQTTS; both or neither. */
  GIC_TLS_CERT_FILE: z.string().min(1).optional(),
  GIC_TLS_KEY_FILE: z.string().min(1).optional(),
  /** Oldest TLS version accepted: 1.3, or 1.2 for old clients. */
  GIC_TLS_MIN_VERSION: z.enum(['1.2', '1.3']).default('1.3'),
  /** Origins allowed to call the API from a browser on another origin (comma-separated); none by default. */
  GIC_HTTP_CORS_ORIGINS: originsVar.default([]),
  /** External PostgreSQL; when unset an embedded PostgreSQL runs in the data folder. */
  DATABASE_URL: urlVar('postgres:', 'postgresql:').optional(),
  /**
   * With DATABASE_URL: the role the running hub connects as, granted gic_app's privileges (no UPDATE,
   * DELETE or TRUNCATE on audit_log); DATABASE_URL (the tables' owner) then only runs migrations and the job queue.
   */
  DATABASE_APP_URL: urlVar('postgres:', 'postgresql:').optional(),
  GIC_EMBEDDED_PG_PORT: portVar.default(54329),
  /** PostgreSQL binaries (a folder with initdb and postgres) to run instead of the npm package's. */
  GIC_EMBEDDED_PG_BIN_DIR: absolutePathVar.optional(),
  /** As root: where the package's binaries are installed for the postgres user, and clusters it cannot reach in place. */
  GIC_EMBEDDED_PG_SYSTEM_DIR: absolutePathVar.default('/var/lib/gic/postgresql'),
  /** External S3 endpoint; when unset an embedded S3-compatible server runs in the data folder. */
  S3_ENDPOINT: urlVar('http:', 'https:').optional(),
  /** The S3 endpoint devices use for presigned uploads, when they reach it by another address. */
  S3_PUBLIC_ENDPOINT: urlVar('http:', 'https:').optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{2,62}$/, 'must be a valid S3 bucket name')
    .default('gic-recordings'),
  S3_FORCE_PATH_STYLE: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  GIC_EMBEDDED_S3_HOST: hostVar.optional(),
  GIC_EMBEDDED_S3_PORT: portVar.default(9000),
  GIC_HUB_DATA_DIR: z.string().min(1).default('.gic/hub'),
  /** Bootstrap admin password; otherwise a random one is generated once and written to the data folder. */
  GIC_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  GIC_LOG_LEVEL: logLevelVar.default('info'),
  /** Largest video a user may upload (MiB): the seed's 2 GB. */
  GIC_UPLOAD_MAX_MB: z.coerce.number().int().min(1).max(100_000).default(2048),
  /** Bytes per stored part of an upload (MiB); resumable chunks are kept in whole parts. S3 wants 5 or more. */
  GIC_UPLOAD_PART_MB: z.coerce.number().int().min(5).max(512).default(8),
  /** Keep an upload's raw file after its masked copy is verified (the retention purge deletes it later). */
  GIC_UPLOAD_KEEP_RAW: boolFlag.default(false),
  /** Batch processing: frames analysed per second of video while the view is still (uniform sampling). */
  GIC_BATCH_SAMPLE_FPS: z.coerce.number().min(0.1).max(30).default(1),
  /** Batch processing: most frames analysed per second under motion (the adaptive sampler's ceiling). */
  GIC_BATCH_MAX_FPS: z.coerce.number().min(0.1).max(30).default(3),
  /** Analysis frames are at most this wide (px), aspect kept. */
  GIC_BATCH_MAX_WIDTH: z.coerce.number().int().min(64).max(3840).default(1280),
  /** Frames given to the engine at once. */
  GIC_BATCH_SIZE: z.coerce.number().int().min(1).max(64).default(4),
  /**
   * Threads of the libav decoder reading a video in batch: `auto` (one while the models run on the
   * CPU, whose other cores then analyse; libav's own choice, one a core, on a GPU), or a number (0:
   * libav's choice). One thread costs about a fifth less CPU a video but decodes slower alone.
   */
  GIC_BATCH_DECODE_THREADS: z
    .union([z.literal('auto'), z.coerce.number().int().min(0).max(64)])
    .default('auto'),
  /**
   * Threads of one run of the text models (the text scan of raw uploads) on the CPU: `auto`, every
   * core this process may use, or a number. onnxruntime's own default counts physical cores, which
   * some virtual machines report as one (bench:batch run 1's scan on 2 cores: 1.5x slower).
   */
  GIC_BATCH_TEXT_THREADS: z
    .union([z.literal('auto'), z.coerce.number().int().min(1).max(256)])
    .default('auto'),
  /** Search already de-identified videos for text again (`always`), or raw uploads only. */
  GIC_BATCH_TEXT_SCAN: z.enum(['uploads', 'always']).default('uploads'),
  /** One key frame (the best in-body view) per this many seconds, besides findings. */
  GIC_BATCH_KEYFRAME_EVERY_S: z.coerce.number().min(1).max(3600).default(30),
  /** Models the hub's workers run (manifest ids in GIC_HUB_MODELS_DIR), as the edge's GIC_MODELS. */
  GIC_HUB_MODELS_DIR: z.string().min(1).default('models'),
  GIC_HUB_MODELS: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean),
    )
    .default(['pp-ocrv4-det', 'pp-ocrv4-rec', 'blazeface-front']),
  /** Retries of a failed processing or export job before it fails for good. */
  GIC_JOB_RETRIES: z.coerce.number().int().min(0).max(20).default(2),
  /** A running job silent this long (its worker's heartbeat, every 10 s, stopped: it died) is retried (s). */
  GIC_JOB_TIMEOUT_S: z.coerce.number().int().min(5).max(86_400).default(300),
  /** How often each queue process looks for crashed jobs, whose heartbeat stopped (s). */
  GIC_JOB_SUPERVISE_S: z.coerce.number().int().min(1).max(3600).default(30),
  /** How long presigned key frame and export URLs stay valid (s): short, they carry no credentials. */
  GIC_URL_TTL_S: z.coerce.number().int().min(10).max(86_400).default(300),
  /** How often the API role moves model rollouts along (ms). */
  GIC_ROLLOUT_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(2000),
  /** Retention: an upload's raw file is deleted this many days after upload (legal hold exempts). */
  GIC_RETENTION_RAW_DAYS: z.coerce.number().min(0).max(36_500).default(30),
  /** Retention: key frames are deleted this many days after the procedure's export is ready. */
  GIC_RETENTION_KEYFRAMES_AFTER_EXPORT_DAYS: z.coerce.number().min(0).max(36_500).default(0),
  /** Retention: export bundles are deleted this many days after they were ready. */
  GIC_RETENTION_EXPORT_DAYS: z.coerce.number().min(0).max(36_500).default(90),
  /** Audit records are kept this many days (at least a year; default six years and a bit). */
  /** Device telemetry history kept (days). */
  GIC_RETENTION_TELEMETRY_DAYS: z.coerce.number().min(1).max(3650).default(30),
  GIC_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(365).max(36_500).default(2200),
  /** The hub is behind a reverse proxy: the audit log takes the client's address from X-Forwarded-For. */
  GIC_TRUST_PROXY: boolFlag.default(false),
  /** Name the device (room) in exports; off: a random label. */
  GIC_EXPORT_DEVICE_NAMES: boolFlag.default(false),
  /** A session ends when its refresh token goes unused this long (minutes): the idle timeout. */
  GIC_SESSION_IDLE_MIN: z.coerce
    .number()
    .int()
    .min(5)
    .max(24 * 60)
    .default(60),
  /** A session ends this long after sign-in however often it is refreshed (hours). */
  GIC_SESSION_MAX_HOURS: z.coerce
    .number()
    .min(1)
    .max(7 * 24)
    .default(12),
  /** Failed sign-ins per account in GIC_LOGIN_WINDOW_MIN before the account is locked for the rest of it. */
  GIC_LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(1000).default(5),
  /** Failed sign-ins from one address in GIC_LOGIN_WINDOW_MIN before the address is refused. */
  GIC_LOGIN_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).max(10_000).default(20),
  GIC_LOGIN_WINDOW_MIN: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(15),
  /** API requests per user and minute (0: unlimited), shared by every API process. */
  GIC_RATE_API_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(100),
  /** Video uploads a user may start per day (0: unlimited). */
  GIC_RATE_UPLOADS_PER_DAY: z.coerce.number().int().min(0).max(100_000).default(10),
  /** Exports a user may request per hour (0: unlimited). */
  GIC_RATE_EXPORTS_PER_HOUR: z.coerce.number().int().min(0).max(100_000).default(5),
  /** Server-side encryption of the objects the hub writes: none (the store's default), AES256 (SSE-S3) or aws:kms. */
  S3_SSE: z.enum(['none', 'AES256', 'aws:kms']).default('none'),
  /** The KMS key of S3_SSE=aws:kms (absent: the store's default key). */
  S3_SSE_KMS_KEY_ID: z.string().min(1).max(2048).optional(),
  /** Single sign-on through OpenID Connect (auth/oidc/oidc-settings.ts); off unless an issuer and client are set. */
  ...oidcEnvSchema,
});

const rule = (limit: number, windowSeconds: number) => (limit > 0 ? { limit, windowSeconds } : null);

export type HubConfig = ReturnType<typeof loadHubConfig>;

/** Reads and validates the hub's settings from the environment, reporting every bad one at once. */
export function loadHubConfig(env: Record<string, string | undefined> = process.env) {
  const c = parseEnv(schema, env);
  if (!c.GIC_TLS_CERT_FILE !== !c.GIC_TLS_KEY_FILE)
    throw new ConfigError([
      `${c.GIC_TLS_CERT_FILE ? 'GIC_TLS_KEY_FILE' : 'GIC_TLS_CERT_FILE'}: set both GIC_TLS_CERT_FILE and GIC_TLS_KEY_FILE, or neither`,
    ]);
  if (c.S3_SSE !== 'none' && !c.S3_ENDPOINT)
    throw new ConfigError([
      'S3_SSE: the embedded S3 server does not encrypt what it stores; set S3_ENDPOINT to a store that does (AWS S3, MinIO with KMS), or encrypt the disk under GIC_HUB_DATA_DIR',
    ]);
  if (c.S3_SSE_KMS_KEY_ID && c.S3_SSE !== 'aws:kms')
    throw new ConfigError(['S3_SSE_KMS_KEY_ID: needs S3_SSE=aws:kms']);
  if (c.GIC_INGEST_SHARED_GROUP && !c.MQTT_URL)
    throw new ConfigError([
      'GIC_INGEST_SHARED_GROUP: the embedded broker speaks MQTT 3.1.1, which has no shared subscriptions; set MQTT_URL to an MQTT 5 broker (Mosquitto 2, EMQX, HiveMQ)',
    ]);
  const tls =
    c.GIC_TLS_CERT_FILE && c.GIC_TLS_KEY_FILE
      ? {
          certFile: resolve(c.GIC_TLS_CERT_FILE),
          keyFile: resolve(c.GIC_TLS_KEY_FILE),
          minVersion: `TLSv${c.GIC_TLS_MIN_VERSION}` as 'TLSv1.2' | 'TLSv1.3',
        }
      : undefined;
  const httpScheme = tls ? 'https' : 'http';
  const mqttScheme = tls ? 'mqtts' : 'mqtt';
  const dataDir = resolve(c.GIC_HUB_DATA_DIR);
  const mqttHost = c.GIC_MQTT_HOST ?? c.GIC_HUB_HOST;
  const s3Host = c.GIC_EMBEDDED_S3_HOST ?? c.GIC_HUB_HOST;
  // Devices are told one name for every part; a hub listening on every address cannot guess it.
  const publicHost = c.GIC_HUB_PUBLIC_HOST ?? (isWildcard(c.GIC_HUB_HOST) ? '127.0.0.1' : c.GIC_HUB_HOST);
  const publicUrl = c.GIC_HUB_PUBLIC_URL ?? `${httpScheme}://${urlHost(publicHost)}:${c.GIC_HUB_PORT}`;
  // Over TLS this process reaches its own broker by the name its certificate is for, as devices do.
  const mqttUrl =
    c.MQTT_URL ??
    (tls
      ? `mqtts://${urlHost(publicHost)}:${c.GIC_MQTT_PORT}`
      : `mqtt://${urlHost(localHost(mqttHost))}:${c.GIC_MQTT_PORT}`);
  const embeddedS3 = !c.S3_ENDPOINT;
  const oidcEnv = Object.fromEntries(Object.keys(oidcEnvSchema).map((k) => [k, c[k as keyof typeof c]]));
  const oidc = oidcSettings(oidcEnv as Parameters<typeof oidcSettings>[0], publicUrl);
  const s3PublicEndpoint =
    c.S3_PUBLIC_ENDPOINT ??
    (embeddedS3 ? `http://${urlHost(publicHost)}:${c.GIC_EMBEDDED_S3_PORT}` : undefined);
  return {
    roles: new Set<HubRole>(c.GIC_HUB_ROLES),
    http: { host: c.GIC_HUB_HOST, port: c.GIC_HUB_PORT, publicUrl, scheme: httpScheme },
    mqtt: {
      /** Run the embedded broker in this process (only with the broker role and no external MQTT_URL). */
      embedded: !c.MQTT_URL,
      host: mqttHost,
      port: c.GIC_MQTT_PORT,
      /** Where this process reaches the broker. */
      url: mqttUrl,
      /** MQTT 5 shared subscription group of ingest (several ingest processes split the events). */
      sharedGroup: c.GIC_INGEST_SHARED_GROUP,
      /** Where devices are told to reach it. */
      publicUrl:
        c.GIC_MQTT_PUBLIC_URL ?? c.MQTT_URL ?? `${mqttScheme}://${urlHost(publicHost)}:${c.GIC_MQTT_PORT}`,
      /** What the embedded broker lets one connection send. */
      limits: {
        maxPacketBytes: c.GIC_MQTT_MAX_PACKET_BYTES,
        messagesPerSecond: c.GIC_MQTT_RATE_MSGS_PER_S,
        messageBurst: c.GIC_MQTT_RATE_MSGS_BURST,
        bytesPerSecond: c.GIC_MQTT_RATE_KIB_PER_S * 1024,
        // A burst smaller than the largest packet would refuse every large packet.
        byteBurst: Math.max(c.GIC_MQTT_RATE_KIB_BURST * 1024, c.GIC_MQTT_MAX_PACKET_BYTES),
      },
    },
    /** HTTPS and MQTTS with this certificate; absent: plain HTTP and MQTT. */
    tls,
    /** Browser origins allowed cross-origin to the API; empty: none (no CORS headers at all). */
    corsOrigins: c.GIC_HTTP_CORS_ORIGINS,
    database: {
      url: c.DATABASE_URL,
      appUrl: c.DATABASE_APP_URL,
      embeddedPort: c.GIC_EMBEDDED_PG_PORT,
      ...(c.GIC_EMBEDDED_PG_BIN_DIR ? { binDir: c.GIC_EMBEDDED_PG_BIN_DIR } : {}),
      systemDir: c.GIC_EMBEDDED_PG_SYSTEM_DIR,
    },
    s3: {
      embedded: embeddedS3,
      endpoint: c.S3_ENDPOINT ?? `http://${urlHost(localHost(s3Host))}:${c.GIC_EMBEDDED_S3_PORT}`,
      embeddedHost: s3Host,
      embeddedPort: c.GIC_EMBEDDED_S3_PORT,
      region: c.S3_REGION,
      // The embedded S3 server's pair when set; unset, the hub makes one (embedded-s3-credentials.ts).
      accessKeyId: c.S3_ACCESS_KEY_ID ?? '',
      secretAccessKey: c.S3_SECRET_ACCESS_KEY ?? '',
      bucket: c.S3_BUCKET,
      forcePathStyle: c.S3_FORCE_PATH_STYLE,
      ...(s3PublicEndpoint ? { publicEndpoint: s3PublicEndpoint } : {}),
      ...(c.S3_SSE !== 'none'
        ? { sse: { mode: c.S3_SSE, ...(c.S3_SSE_KMS_KEY_ID ? { kmsKeyId: c.S3_SSE_KMS_KEY_ID } : {}) } }
        : {}),
    },
    uploads: {
      maxBytes: c.GIC_UPLOAD_MAX_MB * 1024 * 1024,
      partBytes: c.GIC_UPLOAD_PART_MB * 1024 * 1024,
      keepRaw: c.GIC_UPLOAD_KEEP_RAW,
    },
    /** The review chat's vision-language model (GIC_VLM_*), as the edge's. */
    vlm: vlmConfigFromEnv(env, resolve(c.GIC_HUB_MODELS_DIR)),
    batch: {
      sampleFps: c.GIC_BATCH_SAMPLE_FPS,
      maxFps: Math.max(c.GIC_BATCH_MAX_FPS, c.GIC_BATCH_SAMPLE_FPS),
      maxWidth: c.GIC_BATCH_MAX_WIDTH,
      batchSize: c.GIC_BATCH_SIZE,
      ...(c.GIC_BATCH_DECODE_THREADS === 'auto' ? {} : { decoderThreads: c.GIC_BATCH_DECODE_THREADS }),
      keyframeEveryS: c.GIC_BATCH_KEYFRAME_EVERY_S,
      textScan: c.GIC_BATCH_TEXT_SCAN,
      textThreads: c.GIC_BATCH_TEXT_THREADS === 'auto' ? availableParallelism() : c.GIC_BATCH_TEXT_THREADS,
      modelsDir: resolve(c.GIC_HUB_MODELS_DIR),
      models: c.GIC_HUB_MODELS,
    },
    jobs: {
      retryLimit: c.GIC_JOB_RETRIES,
      deadAfterSeconds: c.GIC_JOB_TIMEOUT_S,
      maintenanceIntervalSeconds: c.GIC_JOB_SUPERVISE_S,
    },
    urlTtlSeconds: c.GIC_URL_TTL_S,
    rollouts: { intervalMs: c.GIC_ROLLOUT_INTERVAL_MS },
    retention: {
      rawUploadDays: c.GIC_RETENTION_RAW_DAYS,
      keyframesAfterExportDays: c.GIC_RETENTION_KEYFRAMES_AFTER_EXPORT_DAYS,
      exportDays: c.GIC_RETENTION_EXPORT_DAYS,
      telemetryDays: c.GIC_RETENTION_TELEMETRY_DAYS,
      staleUploadHours: 24,
    },
    audit: { retentionDays: c.GIC_AUDIT_RETENTION_DAYS, trustProxy: c.GIC_TRUST_PROXY },
    exportDeviceNames: c.GIC_EXPORT_DEVICE_NAMES,
    people: {
      sessions: { idleSeconds: c.GIC_SESSION_IDLE_MIN * 60, maxSeconds: c.GIC_SESSION_MAX_HOURS * 3600 },
      login: {
        perAccount: { limit: c.GIC_LOGIN_MAX_FAILURES, windowSeconds: c.GIC_LOGIN_WINDOW_MIN * 60 },
        perAddress: {
          limit: c.GIC_LOGIN_MAX_FAILURES_PER_ADDRESS,
          windowSeconds: c.GIC_LOGIN_WINDOW_MIN * 60,
        },
      },
      rates: {
        api: rule(c.GIC_RATE_API_PER_MINUTE, 60),
        uploads: rule(c.GIC_RATE_UPLOADS_PER_DAY, 86_400),
        exports: rule(c.GIC_RATE_EXPORTS_PER_HOUR, 3600),
      },
      /** Single sign-on; absent: off (local accounts only). */
      ...(oidc ? { oidc } : {}),
    },
    dataDir,
    adminPassword: c.GIC_ADMIN_PASSWORD,
    logLevel: c.GIC_LOG_LEVEL,
  };
}

/** Listening on every address (0.0.0.0 or ::). */
export function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** The address this process reaches one of its own listeners by. */
export function localHost(listenHost: string): string {
  if (host6(listenHost) === '::') return '::1';
  return isWildcard(listenHost) ? '127.0.0.1' : listenHost;
}

function host6(host: string): string {
  return host.replace(/^\[|\]$/g, '');
}

/** A host as it goes in a URL (IPv6 in brackets). */
export function urlHost(host: string): string {
  const bare = host6(host);
  return bare.includes(':') ? `[${bare}]` : bare;
}

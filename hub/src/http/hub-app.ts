import { fileURLToPath } from 'node:url';
import { offVlmEngine } from '@gic/shared/chat/off-engine.js';
import { type HealthCheck, healthRoutes } from '@gic/shared/http/health-routes.js';
import type { Metrics } from '@gic/shared/http/metrics.js';
import { installErrorHandler, requestContext } from '@gic/shared/http/request-context.js';
import { webAssetRoutes } from '@gic/shared/http/web-assets.js';
import type { Logger } from '@gic/shared/logging/logger.js';
import { probeThreadPool, threadPoolSize } from '@gic/shared/process/thread-pool.js';
import type { VlmEngine } from '@gic/shared/vlm/vlm-engine.js';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { type AuditOptions, auditLog } from '../audit/audit-log.js';
import type { OidcSettings } from '../auth/oidc/oidc-settings.js';
import { DEFAULT_SESSION_POLICY, type SessionPolicy } from '../auth/session-service.js';
import { reviewFrames } from '../chat/review-frames.js';
import { checkAuditLogGuard } from '../db/app-role.js';
import type { Database } from '../db/database.js';
import type { CommandSender } from '../devices/command-sender.js';
import type { JobQueue } from '../jobs/job-queue.js';
import type { RateRule } from '../limits/rate-counters.js';
import { openApiDocument } from '../openapi/hub-routes.js';
import type { ObjectStore } from '../storage/object-store.js';
import { auditRoutes } from './audit-routes.js';
import type { UserAuth } from './auth-middleware.js';
import { authRoutes, type LoginLimits } from './auth-routes.js';
import { hubChatRoutes } from './chat-routes.js';
import { commandRoutes } from './command-routes.js';
import { configRoutes } from './config-routes.js';
import { deviceKeyRoutes } from './device-key-routes.js';
import { deviceRoutes } from './device-routes.js';
import type { HubEnv } from './hub-env.js';
import { jobRoutes } from './job-routes.js';
import { modelRoutes } from './model-routes.js';
import { oidcRoutes } from './oidc-routes.js';
import { procedureRoutes } from './procedure-routes.js';
import { retentionRoutes } from './retention-routes.js';
import { rolloutRoutes } from './rollout-routes.js';
import { deviceRoomCredentialRoutes, roomCredentialRoutes } from './room-credential-routes.js';
import { type SecurityHeaderOptions, securityHeaders } from './security-headers.js';
import { uploadRoutes } from './upload-routes.js';
import { userRoutes } from './user-routes.js';
import { type VideoRoutesOptions, videoRoutes } from './video-routes.js';

/** The review portal, bundled by scripts/build-web.mjs (hub/web/portal), from src/ or dist/ alike. */
/** Where no broker connection is given: commands are recorded, and expire unanswered. */
const UNSENT_COMMANDS: CommandSender = { send: async () => false, close: async () => {} };

export const PORTAL_WEB_DIR = fileURLToPath(new URL('../../dist/web/', import.meta.url));

export interface HubAppDeps {
  log: Logger;
  metrics: Metrics;
  db: Database;
  store: ObjectStore;
  secret: Uint8Array;
  /** The audit log's settings (GIC_TRUST_PROXY); records go to `db`. */
  audit?: AuditOptions;
  /** Present when this process serves the API role. */
  api?: {
    jobs: JobQueue;
    mqttPublicUrl: string;
    hubPublicUrl: string;
    videos: Omit<VideoRoutesOptions, 'db' | 'store' | 'auth'>;
    /** Sessions, sign-in throttling and the API's rate (HubConfig.people); absent: the defaults. */
    people?: PeoplePolicy;
    /** The chat's model; absent: off, and the chat answers from the timeline only. */
    vlm?: VlmEngine;
    /** Hard limit of one answer's generation (GIC_VLM_TIMEOUT_MS). */
    vlmTimeoutMs?: number;
    /** Sends remote commands to devices; absent: each is recorded but not sent (`sent: false`). */
    commands?: CommandSender;
  };
  gpu: () => Record<string, unknown>;
  extraChecks?: Record<string, HealthCheck>;
  /** TLS, the object store's origin and the CORS allow-list; absent: plain HTTP, same origin only. */
  security?: SecurityHeaderOptions;
}

/** People's sessions and limits (the `people` part of HubConfig). */
export interface PeoplePolicy {
  sessions: SessionPolicy;
  login: LoginLimits;
  rates: { api: RateRule | null; uploads: RateRule | null; exports: RateRule | null };
  /** Single sign-on through OpenID Connect (GIC_OIDC_*); absent: off, local accounts only. */
  oidc?: OidcSettings;
}

/** The defaults of GIC_SESSION_*, GIC_LOGIN_* and GIC_RATE_* (config.ts), for apps built without a config. */
export const DEFAULT_PEOPLE_POLICY: PeoplePolicy = {
  sessions: DEFAULT_SESSION_POLICY,
  login: {
    perAccount: { limit: 5, windowSeconds: 900 },
    perAddress: { limit: 20, windowSeconds: 900 },
  },
  rates: {
    api: { limit: 100, windowSeconds: 60 },
    uploads: { limit: 10, windowSeconds: 86_400 },
    exports: { limit: 5, windowSeconds: 3600 },
  },
};

/** The hub's HTTP app: health and metrics in every process, the API and portal with the api role. */
export function createHubApp(deps: HubAppDeps) {
  const { db, store, secret } = deps;
  const app = new Hono<HubEnv>();
  app.use('*', requestContext(deps.log));
  app.use('*', deps.metrics.middleware);
  app.use('*', securityHeaders(deps.security ?? { tls: false, mediaOrigins: [], corsOrigins: [] }));
  const jsonLimit = bodyLimit({
    maxSize: 1024 * 1024,
    onError: (c) => c.json({ error: 'body too large' }, 413),
  });
  // Video uploads stream (up to their own limit, counted as they arrive); every other body is small JSON.
  app.use('/api/*', (c, next) =>
    (c.req.path.startsWith('/api/v1/videos/upload') && c.req.method !== 'GET') ||
    (c.req.path.startsWith('/api/v1/models/') && c.req.method === 'PUT')
      ? next()
      : jsonLimit(c, next),
  );
  installErrorHandler(app);
  app.use('*', auditLog(db, deps.audit ?? { trustProxy: false }));
  app.route(
    '/health',
    healthRoutes({
      checks: {
        db: async () => {
          const { rows } = await db.query<{ now: Date }>('SELECT now()');
          return { serverTime: rows[0]!.now };
        },
        storage: () => store.check(),
        threadpool: async () => ({ ...threadPoolSize(), probeMs: await probeThreadPool() }),
        // Whether this process's database role could change the audit log (it should not).
        auditLog: async () => ({ ...(await checkAuditLogGuard(db)) }),
        ...deps.extraChecks,
      },
      gpu: deps.gpu,
    }),
  );
  app.get('/metrics', async (c) =>
    c.text(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType }),
  );
  if (deps.api) {
    const people = deps.api.people ?? DEFAULT_PEOPLE_POLICY;
    const auth: UserAuth = { db, secret, apiRate: people.rates.api };
    app.route('/api/v1/auth', authRoutes({ db, auth, sessions: people.sessions, login: people.login }));
    app.route(
      '/api/v1/auth/oidc',
      oidcRoutes({
        db,
        secret,
        sessions: people.sessions,
        ...(people.oidc ? { settings: people.oidc } : {}),
      }),
    );
    app.route('/api/v1/users', userRoutes(db, auth, people.login));
    app.route('/api/v1/users', roomCredentialRoutes(db, auth));
    app.route('/api/v1/devices/me/room-credentials', deviceRoomCredentialRoutes(db));
    app.route('/api/v1/devices/me/key', deviceKeyRoutes(db));
    app.route(
      '/api/v1/devices',
      deviceRoutes({
        db,
        auth,
        mqttPublicUrl: deps.api.mqttPublicUrl,
        hubPublicUrl: deps.api.hubPublicUrl,
      }),
    );
    app.route(
      '/api/v1/devices',
      commandRoutes({ db, store, auth, sender: deps.api.commands ?? UNSENT_COMMANDS }),
    );
    app.route('/api/v1/devices', configRoutes({ db, auth, sender: deps.api.commands ?? UNSENT_COMMANDS }));
    app.route('/api/v1/models', modelRoutes({ db, store, auth }));
    app.route('/api/v1/rollouts', rolloutRoutes({ db, auth }));
    app.route('/api/v1/procedures', procedureRoutes(db, store, auth));
    app.route('/api/v1/uploads', uploadRoutes({ db, store, jobs: deps.api.jobs }));
    app.route('/api/v1/videos', videoRoutes({ db, store, auth, ...deps.api.videos }));
    app.route('/api/v1/jobs', jobRoutes(db, deps.api.jobs, auth));
    app.route('/api/v1/retention', retentionRoutes(db, auth));
    app.route('/api/v1', auditRoutes(db, auth));
    app.route(
      '/api/v1/chat',
      hubChatRoutes(
        db,
        auth,
        deps.api.vlm ?? offVlmEngine(),
        deps.api.vlmTimeoutMs,
        reviewFrames(db, store, { log: deps.log }),
      ),
    );
    const openApi = openApiDocument('v1');
    app.get('/api/v1/openapi.json', (c) => c.json(openApi));
    app.route('/', webAssetRoutes(PORTAL_WEB_DIR));
  }
  return app;
}
export type HubApp = ReturnType<typeof createHubApp>;

import { fileURLToPath } from 'node:url';
import { healthRoutes } from '@gic/shared/http/health-routes.js';
import type { Metrics } from '@gic/shared/http/metrics.js';
import { type RealtimeDeps, realtimeRoutes } from '@gic/shared/http/realtime-routes.js';
import { type AppEnv, installErrorHandler, requestContext } from '@gic/shared/http/request-context.js';
import { webAssetRoutes } from '@gic/shared/http/web-assets.js';
import type { Logger } from '@gic/shared/logging/logger.js';
import { probeThreadPool, threadPoolSize } from '@gic/shared/process/thread-pool.js';
import { Hono } from 'hono';
import type { EdgeFrameFindings } from '../findings/edge-frame-findings.js';
import type { AnalysisHealth } from '../live/analysis-watchdog.js';
import type { LiveState } from '../live/live-state.js';
import type { EdgeDatabase } from '../store/edge-database.js';
import type { SyncState } from '../sync/outbox-publisher.js';
import type { UploadProgress } from '../upload/recording-uploader.js';
import { type AlertActions, alertRoutes } from './alert-routes.js';
import { type ChatDeps, chatRoutes } from './chat-routes.js';
import type { LivePush } from './live-push.js';
import { type OperatorActions, operatorRoutes } from './operator-routes.js';
import { type PrivacyActions, privacyRoutes } from './privacy-routes.js';
import { type ProcedureActions, procedureRoutes } from './procedure-routes.js';

/** The in-room screen, bundled by scripts/build-web.mjs (edge/web/in-room), from src/ or dist/ alike. */
export const IN_ROOM_WEB_DIR = fileURLToPath(new URL('../../dist/web/', import.meta.url));

export interface EdgeAppDeps {
  log: Logger;
  metrics: Metrics;
  db: EdgeDatabase;
  live: () => LiveState;
  /** Live analysis health: /health/ready fails while it is stalled. */
  analysis: () => AnalysisHealth;
  sync: () => SyncState & { upload?: UploadProgress };
  gpu: () => Record<string, unknown>;
  /** Free space where recordings go (bytes). */
  diskFree: () => Promise<number>;
  push: LivePush;
  alerts: AlertActions;
  procedures: ProcedureActions;
  operators: OperatorActions;
  /** The privacy mode and the on-screen-display mask layout, checked and edited from the screen. */
  privacy: PrivacyActions;
  /** The educational chat: the shared service over the edge's store, and the procedure on the screen. */
  chat: ChatDeps;
  /** Analysis of still images posted to the realtime API. */
  realtime: Pick<RealtimeDeps, 'analyse' | 'size'>;
  /** Frame analysis by the VLM: its status (parse rate, latest findings) and the screen's requests. */
  frameFindings: Pick<EdgeFrameFindings, 'status' | 'request'>;
}

/** The edge's local HTTP surface: in-room page, realtime analysis, health, metrics. Works with no network. */
export function createEdgeApp(deps: EdgeAppDeps) {
  const app = new Hono<AppEnv>();
  app.use('*', requestContext(deps.log));
  app.use('*', deps.metrics.middleware);
  installErrorHandler(app);
  app.route(
    '/health',
    healthRoutes({
      checks: {
        db: async () => ({ journalMode: deps.db.pragma('journal_mode', { simple: true }) }),
        analysis: async () => {
          const health = deps.analysis();
          if (health.state === 'stalled')
            throw new Error(`analysis stalled since ${health.since}: ${health.message}`);
          return { ...health };
        },
        threadpool: async () => ({ ...threadPoolSize(), probeMs: await probeThreadPool() }),
        storage: async () => {
          const freeBytes = await deps.diskFree();
          if (freeBytes < 1024 ** 3)
            throw new Error(`only ${Math.round(freeBytes / 1024 ** 2)} MiB free for recordings`);
          return { freeBytes };
        },
      },
      gpu: deps.gpu,
    }),
  );
  app.get('/metrics', async (c) =>
    c.text(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType }),
  );
  app.route(
    '/api/v1/realtime',
    realtimeRoutes({
      ...deps.realtime,
      live: () => ({ ...deps.live(), sync: deps.sync(), frameFindings: deps.frameFindings.status() }),
    }),
  );
  // Frame analysis by the VLM: its status, and "analyse the frame on screen now" (answered at once;
  // the result arrives in the status and the live push, as every analysis does).
  app.get('/api/v1/realtime/vlm-analysis', (c) => c.json(deps.frameFindings.status()));
  app.post('/api/v1/realtime/vlm-analysis', (c) => {
    const r = deps.frameFindings.request();
    if (!r.ok) return c.json({ error: r.error }, r.status);
    return c.json({ trigger: 'request', ptsMs: r.ptsMs }, 202);
  });
  app.get('/api/v1/realtime/preview.jpg', (c) => {
    const jpeg = deps.push.latestPreview;
    if (!jpeg) return c.json({ error: 'no preview yet: no video from the source' }, 503);
    return c.body(new Uint8Array(jpeg), 200, { 'content-type': 'image/jpeg', 'cache-control': 'no-store' });
  });
  app.get('/api/v1/realtime/preview.mjpeg', () => deps.push.mjpegResponse());
  app.route('/api/v1/alerts', alertRoutes(deps.alerts));
  app.route('/api/v1/procedures', procedureRoutes(deps.procedures));
  app.route('/api/v1/operators', operatorRoutes(deps.operators));
  app.route('/api/v1/chat', chatRoutes(deps.chat));
  app.route('/api/v1/privacy', privacyRoutes(deps.privacy));
  app.route('/', webAssetRoutes(IN_ROOM_WEB_DIR));
  return app;
}

import { readJson } from '@gic/shared/http/request-context.js';
import { type Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { streamSSE } from 'hono/streaming';
import { audit } from '../audit/audit-log.js';
import { activeSessionRole } from '../auth/session-service.js';
import { ACCESS_TOKEN_SECONDS } from '../auth/session-tokens.js';
import { seesIdentities } from '../auth/trainee-view.js';
import type { BatchProcessor } from '../batch/batch-processor.js';
import { latestRun } from '../batch/processing-repo.js';
import { findSummary, latestKeyframes } from '../batch/results-repo.js';
import type { Database } from '../db/database.js';
import type { ExportService } from '../exports/export-service.js';
import type { RateRule } from '../limits/rate-counters.js';
import type { ObjectStore } from '../storage/object-store.js';
import {
  exportQuerySchema,
  exportRequestSchema,
  uploadOffsetSchema,
  uploadSessionSchema,
  uploadSiteQuerySchema,
  videoIdSchema,
} from '../videos/video-schemas.js';
import { UploadRefused, type VideoUploadService } from '../videos/video-upload-service.js';
import type { VideoUploadRow } from '../videos/video-uploads-repo.js';
import { videoView } from '../videos/video-view.js';
import { allow, type UserAuth } from './auth-middleware.js';
import type { HubEnv } from './hub-env.js';
import { perUserLimit } from './rate-limit.js';
import { requireProcedureInScope, siteOfNew } from './site-guard.js';

export interface VideoRoutesOptions {
  db: Database;
  store: ObjectStore;
  auth: UserAuth;
  uploads: VideoUploadService;
  processor: BatchProcessor;
  exports: ExportService;
  /** How long presigned key frame and export URLs stay valid (s). */
  urlTtlSeconds: number;
  /** Per user: uploads started (GIC_RATE_UPLOADS_PER_DAY) and exports requested (GIC_RATE_EXPORTS_PER_HOUR). */
  limits?: { uploads: RateRule | null; exports: RateRule | null };
}

/** How often the event stream looks for a changed status (ms). */
const EVENT_POLL_MS = 1000;
/** How often (in polls) an open status stream checks that its session is still open. */
const SESSION_CHECK_TICKS = 3;

/** An UploadRefused as its HTTP answer; where the upload stands goes in `Upload-Offset`. */
const refusedBy =
  (c: Context<HubEnv>) =>
  (err: unknown): never => {
    if (err instanceof UploadRefused) {
      if (err.offset !== undefined) c.header('upload-offset', String(err.offset));
      throw new HTTPException(err.status, { message: err.message });
    }
    throw err;
  };

/** The request body as it arrives: never buffered whole. */
function bodyStream(c: Context<HubEnv>): AsyncIterable<Uint8Array> {
  const body = c.req.raw.body;
  if (!body) return (async function* () {})();
  return body as unknown as AsyncIterable<Uint8Array>;
}

const sessionView = (u: VideoUploadRow) => ({
  uploadId: u.id,
  status: u.status,
  bytes: Number(u.bytes_total),
  offset: Number(u.bytes_received),
  partBytes: u.part_size,
  procedureId: u.procedure_id,
  error: u.error,
});

/**
 * The video API (`/api/v1/videos`): upload (one request, or resumable in parts), the video, batch
 * processing (start, status, live status as server-sent events, cancel), its summary, key frames and
 * export. Each route declares its permission (auth/permissions.ts).
 */
export function videoRoutes(o: VideoRoutesOptions) {
  const { db, store, auth, uploads, processor, exports } = o;
  const read = allow(auth, 'procedures.read');
  const upload = allow(auth, 'videos.upload');
  const process = allow(auth, 'procedures.process');
  const exportCreate = allow(auth, 'exports.create');
  const exportRead = allow(auth, 'exports.read');
  const uploadLimit = perUserLimit(db, 'uploads', o.limits?.uploads ?? null);
  const exportLimit = perUserLimit(db, 'exports', o.limits?.exports ?? null);

  /** The video, if it is within the person's sites (else 404, as if absent). */
  const known = async (c: Context<HubEnv>) => {
    const id = c.req.param('id') ?? '';
    if (!videoIdSchema.safeParse(id).success) throw new HTTPException(404, { message: 'no such video' });
    await requireProcedureInScope(c, db, id, 'no such video');
    const video = await videoView(db, id);
    if (!video) throw new HTTPException(404, { message: 'no such video' });
    return video;
  };
  const session = async (c: Context<HubEnv>) => {
    const id = c.req.param('uploadId') ?? '';
    if (!videoIdSchema.safeParse(id).success) throw new HTTPException(404, { message: 'no such upload' });
    const user = c.get('user')!;
    return uploads.get(id, user.userId, user.role === 'admin').catch(refusedBy(c));
  };
  const startProcessing = async (procedureId: string, by: string) => {
    const run = await latestRun(db, procedureId);
    if (run && (run.state === 'waiting' || run.state === 'active'))
      throw new HTTPException(409, { message: `processing is already ${run.state} (run ${run.id})` });
    return processor.start(procedureId, by);
  };
  const finishUpload = async (c: Context<HubEnv>, row: VideoUploadRow) => {
    const user = c.get('user')!;
    const done = await uploads.complete(row, user.username).catch(refusedBy(c));
    // Nothing of an upload is viewable before the hub has de-identified it: processing starts at once.
    if (!(await latestRun(db, done.procedureId))) await processor.start(done.procedureId, user.username);
    return c.json(done, 201);
  };

  return (
    new Hono<HubEnv>()
      /** One request: the body is the video (Content-Length required, at most the configured size). */
      .post('/upload', audit('video.upload', 'video'), upload, uploadLimit, async (c) => {
        const length = c.req.header('content-length');
        if (!length)
          throw new HTTPException(411, { message: 'Content-Length is required (or use upload sessions)' });
        const bytes = Number(length);
        const query = uploadSiteQuerySchema.safeParse(c.req.query());
        if (!query.success) throw new HTTPException(400, { message: 'site: not a site name' });
        const site = await siteOfNew(c, db, query.data.site);
        const row = await uploads.create(c.get('user')!.userId, bytes, site).catch(refusedBy(c));
        const offset = await uploads.append(row, 0, bodyStream(c)).catch(refusedBy(c));
        if (offset !== bytes)
          throw new HTTPException(400, { message: `the body had ${offset} of the ${bytes} bytes declared` });
        return finishUpload(c, (await uploads.get(row.id, row.created_by, true))!);
      })
      /** A resumable upload: create, PATCH chunks at `Upload-Offset`, ask where it stands, complete. */
      .post('/upload/sessions', audit('video.upload-start', 'upload'), upload, uploadLimit, async (c) => {
        const { bytes, site: requested } = await readJson(c, uploadSessionSchema);
        const site = await siteOfNew(c, db, requested);
        const row = await uploads.create(c.get('user')!.userId, bytes, site).catch(refusedBy(c));
        return c.json(sessionView(row), 201);
      })
      .get('/upload/sessions/:uploadId', upload, async (c) => c.json(sessionView(await session(c))))
      .patch('/upload/sessions/:uploadId', upload, async (c) => {
        const row = await session(c);
        const offset = uploadOffsetSchema.safeParse(c.req.header('upload-offset'));
        if (!offset.success) throw new HTTPException(400, { message: 'Upload-Offset must be a byte offset' });
        const at = await uploads.append(row, offset.data, bodyStream(c)).catch(refusedBy(c));
        c.header('upload-offset', String(at));
        return c.json({ ...sessionView(row), offset: at });
      })
      .post(
        '/upload/sessions/:uploadId/complete',
        audit('video.upload', 'upload', 'uploadId'),
        upload,
        async (c) => finishUpload(c, await session(c)),
      )
      .get('/:id', audit('video.read', 'video', 'id'), read, async (c) => c.json(await known(c)))
      .post('/:id/process', audit('video.process', 'video', 'id'), process, async (c) => {
        const video = await known(c);
        const runId = await startProcessing(video.procedureId, c.get('user')!.username);
        return c.json({ runId }, 202);
      })
      .get('/:id/status', audit('video.status', 'video', 'id'), read, async (c) => {
        const video = await known(c);
        return c.json(await processor.status(video.procedureId));
      })
      .get('/:id/events', audit('video.status', 'video', 'id'), read, async (c) => {
        const video = await known(c);
        const user = c.get('user')!;
        return streamSSE(c, async (stream) => {
          let last = '';
          let closed = false;
          stream.onAbort(() => {
            closed = true;
          });
          // The stream lives no longer than the token that opened it, and ends within seconds of
          // its session (sign-out, an admin ending it, a disabled user): the client follows again
          // with a fresh token, or not at all.
          const endsAt = Date.now() + ACCESS_TOKEN_SECONDS * 1000;
          for (let tick = 0; !closed; tick++) {
            if (Date.now() >= endsAt) break;
            if (tick % SESSION_CHECK_TICKS === 0 && tick > 0) {
              if (!(await activeSessionRole(db, user.sessionId, user.userId))) {
                await stream.writeSSE({ event: 'error', data: JSON.stringify({ error: 'session ended' }) });
                break;
              }
            }
            const data = JSON.stringify(await processor.status(video.procedureId));
            if (data !== last) {
              last = data;
              await stream.writeSSE({ event: 'status', data });
            }
            await stream.sleep(EVENT_POLL_MS);
          }
        });
      })
      .post('/:id/cancel', audit('video.cancel', 'video', 'id'), process, async (c) => {
        const video = await known(c);
        if (!(await processor.cancel(video.procedureId)))
          throw new HTTPException(409, { message: 'no processing is waiting or running' });
        return c.json({ cancelled: true }, 202);
      })
      .get('/:id/summary', audit('video.summary', 'video', 'id'), read, async (c) => {
        const video = await known(c);
        const summary = await findSummary(db, video.procedureId);
        if (!summary) throw new HTTPException(404, { message: 'no summary yet: process the video first' });
        return c.json(summary);
      })
      .get('/:id/keyframes', audit('frame.read', 'video', 'id'), read, async (c) => {
        const video = await known(c);
        const frames = await latestKeyframes(db, video.procedureId);
        return c.json(
          await Promise.all(
            frames.map(async (f) => ({
              tMs: f.t_ms,
              reason: f.reason,
              url: await store.presignGet(f.object_key, {
                expiresIn: o.urlTtlSeconds,
                contentType: 'image/jpeg',
              }),
            })),
          ),
        );
      })
      .post('/:id/export', audit('export.create', 'video', 'id'), exportCreate, exportLimit, async (c) => {
        const video = await known(c);
        // The body is optional: none asks for a clinical export.
        const { purpose } = (await c.req.text()).trim()
          ? await readJson(c, exportRequestSchema)
          : exportRequestSchema.parse({});
        const exportId = await exports
          .request(video.procedureId, c.get('user')!.username, purpose)
          .catch((err: Error) => {
            throw new HTTPException(409, { message: err.message });
          });
        return c.json({ exportId, purpose }, 202);
      })
      .get('/:id/export', audit('export.download', 'video', 'id'), exportRead, async (c) => {
        const video = await known(c);
        const query = exportQuerySchema.safeParse(c.req.query());
        if (!query.success) throw new HTTPException(400, { message: 'purpose must be clinical or teaching' });
        // A trainee gets teaching exports only (auth/trainee-view.ts), whatever they ask for.
        const purpose = seesIdentities(c.get('user')?.role) ? query.data.purpose : 'teaching';
        return c.json(await exports.view(video.procedureId, o.urlTtlSeconds, purpose));
      })
  );
}

import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { decodeImage, ImageDecodeError } from '../media/decode-image.js';
import type { RgbFrame } from '../media/frame.js';
import type { FrameAnalysis } from '../messages/events.js';
import { BusyError, ConcurrencyLimit } from '../process/concurrency-limit.js';
import { type AppEnv, readJson } from './request-context.js';

const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
const MAX_SESSIONS = 100; // oldest is dropped beyond this
/** Images decoded and analysed at once: the rest wait their turn (see ConcurrencyLimit). */
const MAX_CONCURRENT_FRAMES = 2;
/**
 * A decode that takes longer than this has hung (ms). A 12-megapixel progressive JPEG takes about
 * 0.3 s on an idle 2-core box and several times that on a busy one.
 */
const DECODE_TIMEOUT_MS = 20_000;
/** Images that may wait; beyond this the box answers 503 with Retry-After rather than drown. */
const MAX_WAITING_FRAMES = 64;
const IMAGE_TYPES = ['image/jpeg', 'image/png'];

interface Session {
  id: string;
  label: string;
  startedAt: string;
  frames: number;
  latest: FrameAnalysis | null;
}

export interface RealtimeDeps {
  analyse(frame: RgbFrame): Promise<FrameAnalysis>;
  /** The size frames are analysed at (the models' input size). */
  size: { width: number; height: number };
  /** The live state of this box's own video source, for GET /analysis without a session. */
  live?: () => unknown;
}

const sessionSchema = z.object({ label: z.string().trim().max(100).default('') });
const sessionIdSchema = z.uuid();

/**
 * The seed's realtime API: a client opens a session, posts still images (JPEG or PNG body) and gets
 * each one's analysis back; `GET /analysis` gives a session's latest (or this box's live state).
 * Sessions are kept in memory: they are scratch work, never patient records.
 */
export function realtimeRoutes(deps: RealtimeDeps) {
  const sessions = new Map<string, Session>();
  const frames = new ConcurrencyLimit(MAX_CONCURRENT_FRAMES, MAX_WAITING_FRAMES);
  const session = (id: string | undefined) => {
    if (!id || !sessionIdSchema.safeParse(id).success)
      throw new HTTPException(400, { message: 'sessionId must be a UUID' });
    const found = sessions.get(id);
    if (!found)
      throw new HTTPException(404, { message: 'no such session (sessions end when the box restarts)' });
    return found;
  };
  return new Hono<AppEnv>()
    .post('/session', async (c) => {
      const { label } = await readJson(c, sessionSchema);
      const created: Session = {
        id: randomUUID(),
        label,
        startedAt: new Date().toISOString(),
        frames: 0,
        latest: null,
      };
      sessions.set(created.id, created);
      if (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
      return c.json({ sessionId: created.id, label, startedAt: created.startedAt }, 201);
    })
    .post(
      '/frame',
      bodyLimit({
        maxSize: MAX_IMAGE_BYTES,
        onError: (c) => c.json({ error: `image larger than ${MAX_IMAGE_BYTES} bytes` }, 413),
      }),
      async (c) => {
        const s = session(c.req.query('sessionId'));
        const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
        if (!IMAGE_TYPES.includes(type)) {
          throw new HTTPException(415, {
            message: `send the image as the body with content-type ${IMAGE_TYPES.join(' or ')}`,
          });
        }
        const bytes = new Uint8Array(await c.req.arrayBuffer());
        if (bytes.length === 0) throw new HTTPException(400, { message: 'empty body: send the image' });
        let analysis: FrameAnalysis;
        try {
          // Decoding and analysing are CPU work: a few at a time, each with its full time budget.
          analysis = await frames.run(async () => {
            const frame: RgbFrame = await decodeImage(bytes, deps.size, DECODE_TIMEOUT_MS);
            return deps.analyse({ ...frame, index: s.frames, ptsMs: Date.now() - Date.parse(s.startedAt) });
          });
        } catch (err) {
          if (err instanceof ImageDecodeError) throw new HTTPException(422, { message: err.message });
          if (err instanceof BusyError) {
            throw new HTTPException(503, {
              message: `${err.message}: try again shortly`,
              res: new Response(JSON.stringify({ error: `${err.message}: try again shortly` }), {
                status: 503,
                headers: { 'content-type': 'application/json', 'retry-after': '1' },
              }),
            });
          }
          throw err;
        }
        s.frames++;
        s.latest = analysis;
        return c.json({ sessionId: s.id, analysis });
      },
    )
    .get('/analysis', (c) => {
      const id = c.req.query('sessionId');
      if (id === undefined && deps.live) return c.json(deps.live());
      const s = session(id);
      return c.json({
        sessionId: s.id,
        label: s.label,
        startedAt: s.startedAt,
        frames: s.frames,
        latest: s.latest,
      });
    });
}

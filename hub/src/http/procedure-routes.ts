import { readQuery } from '@gic/shared/http/request-context.js';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { audit } from '../audit/audit-log.js';
import { procedureFor, procedurePageFor, seesIdentities, timelineFor } from '../auth/trainee-view.js';
import type { Queryable } from '../db/database.js';
import { playbackOf } from '../procedures/procedure-playback.js';
import { procedureFilterSchema, searchProcedures } from '../procedures/procedure-search.js';
import { loadTimeline } from '../procedures/procedure-timeline.js';
import { getProcedure } from '../procedures/procedures-repo.js';
import type { ObjectStore } from '../storage/object-store.js';
import { allow, type UserAuth } from './auth-middleware.js';
import type { HubEnv } from './hub-env.js';
import { requireProcedureInScope, siteScope } from './site-guard.js';

const idSchema = z.uuid();

function procedureId(raw: string): string {
  if (!idSchema.safeParse(raw).success)
    throw new HTTPException(400, { message: 'procedure id must be a UUID' });
  return raw;
}

const NOT_FOUND = 'no such procedure';
const notFound = () => new HTTPException(404, { message: NOT_FOUND });

/**
 * Procedures, for those who may read them, within their sites (out of them: 404, as if absent):
 * - `GET /` one page of the list, filtered (see procedureFilterSchema) -> `{items, nextCursor, total, limit}`;
 * - `GET /{id}` the procedure with its recording's segments;
 * - `GET /{id}/timeline` findings, alerts, landmarks, withdrawal, in/out of body, quality, chat on one axis;
 * - `GET /{id}/playback` the verified segments as short-lived presigned URLs on the object store.
 * A trainee gets them de-identified (auth/trainee-view.ts).
 */
export function procedureRoutes(db: Queryable, store: ObjectStore, auth: UserAuth) {
  return (
    new Hono<HubEnv>()
      // Each request's audit record is declared before the permission check, so refusals are recorded.
      .get('/', audit('procedure.list'))
      .get('/:id', audit('procedure.read', 'procedure', 'id'))
      .get('/:id/timeline', audit('procedure.timeline', 'procedure', 'id'))
      .get('/:id/playback', audit('video.play', 'procedure', 'id'))
      .use('*', allow(auth, 'procedures.read'))
      .get('/', async (c) => {
        const filter = readQuery(c, procedureFilterSchema);
        const role = c.get('user')?.role;
        const deidentified = !seesIdentities(role);
        const page = await searchProcedures(db, { ...filter, deidentified }, await siteScope(c, db));
        return c.json(procedurePageFor(role, page));
      })
      .get('/:id', async (c) => {
        const id = procedureId(c.req.param('id'));
        await requireProcedureInScope(c, db, id, NOT_FOUND);
        const procedure = await getProcedure(db, id);
        if (!procedure) throw notFound();
        return c.json(procedureFor(c.get('user')?.role, procedure));
      })
      .get('/:id/timeline', async (c) => {
        const id = procedureId(c.req.param('id'));
        await requireProcedureInScope(c, db, id, NOT_FOUND);
        const timeline = await loadTimeline(db, id);
        if (!timeline) throw notFound();
        return c.json(timelineFor(c.get('user')?.role, timeline));
      })
      .get('/:id/playback', async (c) => {
        const id = procedureId(c.req.param('id'));
        await requireProcedureInScope(c, db, id, NOT_FOUND);
        const procedure = await getProcedure(db, id);
        if (!procedure) throw notFound();
        c.header('cache-control', 'no-store');
        return c.json(await playbackOf(db, store, procedure.segments));
      })
  );
}

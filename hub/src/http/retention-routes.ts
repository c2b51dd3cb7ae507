import { readJson } from '@gic/shared/http/request-context.js';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { audit } from '../audit/audit-log.js';
import type { Database } from '../db/database.js';
import { recentPurges, setLegalHold } from '../retention/retention-purge.js';
import { videoIdSchema } from '../videos/video-schemas.js';
import { allow, type UserAuth } from './auth-middleware.js';
import type { HubEnv } from './hub-env.js';

/** `PUT /api/v1/retention/holds/{procedureId}`. */
export const legalHoldSchema = z.object({ hold: z.boolean(), reason: z.string().max(500).optional() });
/** `GET /api/v1/retention/purges?limit=`. */
export const purgesQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

/** Retention for admins: legal holds, and what the daily purge deleted and why. */
export function retentionRoutes(db: Database, auth: UserAuth) {
  return (
    new Hono<HubEnv>()
      // The audit record is declared before the permission check, so refusals are recorded.
      .put('/holds/:procedureId', audit('procedure.legal-hold', 'procedure', 'procedureId'))
      .get('/purges', audit('retention.purges'))
      .use('*', allow(auth, 'retention.manage'))
      .put('/holds/:procedureId', async (c) => {
        const id = c.req.param('procedureId');
        const { hold, reason } = await readJson(c, legalHoldSchema);
        const known = videoIdSchema.safeParse(id).success
          ? (await db.query('SELECT 1 FROM procedures WHERE id = $1', [id])).rowCount
          : 0;
        if (!known) throw new HTTPException(404, { message: 'no such procedure' });
        await setLegalHold(db, id, hold, c.get('user')!.username, reason ?? null);
        c.get('log').info({ procedureId: id, hold, by: c.get('user')!.username }, 'legal hold changed');
        return c.json({ procedureId: id, legalHold: hold });
      })
      .get('/purges', async (c) => {
        const q = purgesQuerySchema.safeParse(c.req.query());
        if (!q.success) throw new HTTPException(400, { message: 'limit must be 1..1000' });
        return c.json({ items: await recentPurges(db, q.data.limit) });
      })
  );
}

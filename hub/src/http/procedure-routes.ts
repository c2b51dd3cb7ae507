import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { Queryable } from '../db/database.js';
import { listProcedures } from '../procedures/procedures-repo.js';
import { requireUser } from './auth-middleware.js';
import type { HubEnv } from './hub-env.js';

const pageSchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

/** `GET /` lists procedures for any signed-in user. */
export function procedureRoutes(db: Queryable, secret: Uint8Array) {
  return new Hono<HubEnv>().get('/', requireUser(secret), async (c) => {
    const page = pageSchema.safeParse(c.req.query());
    if (!page.success) throw new HTTPException(400, { message: 'limit must be 1..500 and offset 0 or more' });
    const items = await listProcedures(db, page.data.limit, page.data.offset);
    return c.json({ items, limit: page.data.limit, offset: page.data.offset });
  });
}

import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { z } from 'zod';
import { csvHeader, csvRow } from '../audit/audit-csv.js';
import { audit } from '../audit/audit-log.js';
import { auditFilterSchema, readAudit } from '../audit/audit-query.js';
import type { Database } from '../db/database.js';
import { allow, type UserAuth } from './auth-middleware.js';
import type { HubEnv } from './hub-env.js';

/** Rows fetched per round trip while the CSV export streams. */
const CSV_BATCH = 1000;

function parseFilter(query: Record<string, string>) {
  const parsed = auditFilterSchema.safeParse(query);
  if (!parsed.success) throw new HTTPException(400, { message: describe(parsed.error) });
  return parsed.data;
}

function describe(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      if (i.code === 'unrecognized_keys') return `unknown parameter ${i.keys.join(', ')}`;
      return i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message;
    })
    .join('; ');
}

/**
 * The audit log for auditors (and admins): `GET /api/v1/audit` pages of records newest first,
 * `GET /api/v1/audit.csv` every matching record as CSV, streamed. Reading it is itself recorded.
 */
export function auditRoutes(db: Database, auth: UserAuth) {
  const guard = allow(auth, 'audit.read');
  return new Hono<HubEnv>()
    .get('/audit', audit('audit.read', 'audit_log'), guard, async (c) => {
      const filter = parseFilter(c.req.query());
      return c.json(await readAudit(db, filter));
    })
    .get('/audit.csv', audit('audit.export', 'audit_log'), guard, async (c) => {
      const { limit: _pageSize, ...filter } = parseFilter(c.req.query());
      const log = c.get('log');
      const encoder = new TextEncoder();
      let cursor = filter.cursor;
      let started = false;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            if (!started) {
              started = true;
              controller.enqueue(encoder.encode(csvHeader()));
            }
            const page = await readAudit(db, { ...filter, cursor, limit: CSV_BATCH });
            if (page.entries.length) controller.enqueue(encoder.encode(page.entries.map(csvRow).join('')));
            if (!page.nextCursor) controller.close();
            else cursor = Number(page.nextCursor);
          } catch (err) {
            log.error({ err }, 'audit CSV export failed part way');
            controller.error(err);
          }
        },
      });
      return new Response(body, {
        headers: {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': 'attachment; filename="audit-log.csv"',
          'cache-control': 'no-store',
        },
      });
    });
}

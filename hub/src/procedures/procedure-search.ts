import { z } from 'zod';
import { PROCEDURE_SITE, type SiteScope, siteCondition, siteNameSchema } from '../auth/site-scope.js';
import type { Queryable } from '../db/database.js';
import { PROCEDURE_STATUSES, type ProcedurePage } from './procedure-view-types.js';
import { PROCEDURE_COLUMNS, PROCEDURE_FROM, type ProcedureRow, summarise } from './procedures-repo.js';

const DAY_MS = 24 * 3600 * 1000;
const day = z.iso.date();
const instant = z.union([z.iso.datetime({ offset: true }), day]);

/** Where a page ends: the sort key of its last row, opaque to the client. */
const cursorSchema = z.object({ t: z.iso.datetime({ offset: true }), id: z.uuid() });

function decodeCursor(raw: string, ctx: z.RefinementCtx): z.infer<typeof cursorSchema> {
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: 'custom', message: 'cursor is not one this hub gave out' });
  return z.NEVER;
}

/**
 * The list's query string. `device` is a device id, `room` part of a device's name or room (rooms are
 * named devices), `site` one site, `from`/`to` a date (whole UTC days; `to` inclusive) or an instant,
 * `status` live, ended or available (ended with its whole recording verified here), `hasFindings`
 * true/false, `q` text looked for in the operator, the source, the device's name, the end reason and
 * the chat's messages.
 */
export const procedureQuerySchema = z
  .object({
    device: z.string().trim().min(1).max(200).optional(),
    room: z.string().trim().min(1).max(200).optional(),
    /** One of the person's sites (outside them: nothing). */
    site: siteNameSchema.optional(),
    from: instant.optional(),
    to: instant.optional(),
    status: z.enum(PROCEDURE_STATUSES).optional(),
    hasFindings: z.enum(['true', 'false']).optional(),
    q: z.string().trim().min(1).max(200).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    /** The previous page's `nextCursor` (opaque). */
    cursor: z.string().max(500).optional(),
  })
  .strict();

/** The query parsed: dates as instants (a bare `to` date up to the next day's start), `from` before `to`. */
export const procedureFilterSchema = procedureQuerySchema
  .transform((f, ctx) => ({
    ...f,
    cursor: f.cursor ? decodeCursor(f.cursor, ctx) : undefined,
    from: f.from === undefined ? undefined : new Date(f.from),
    // A date alone means the whole of that day.
    to:
      f.to === undefined
        ? undefined
        : new Date(new Date(f.to).getTime() + (day.safeParse(f.to).success ? DAY_MS : 0)),
  }))
  .refine((f) => !f.from || !f.to || f.from < f.to, { message: 'from must be before to', path: ['from'] });
/**
 * The parsed query, and whether `q` may look at what people typed or are named by (the operator, the
 * room's chat): not for a trainee (auth/trainee-view.ts), whose search would otherwise tell them.
 */
export type ProcedureFilter = z.output<typeof procedureFilterSchema> & { deidentified?: boolean };

/** `%` and `_` in a user's text match themselves. */
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const SORT_KEY = 'coalesce(p.started_at, p.created_at)';

/**
 * WHERE clauses and their parameters for the person's sites and the filters (the cursor apart: the
 * total ignores it).
 */
function conditions(f: ProcedureFilter, scope: SiteScope): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const sites = siteCondition(scope, PROCEDURE_SITE, param);
  if (sites) where.push(sites);
  if (f.site) where.push(`${PROCEDURE_SITE} = ${param(f.site)}`);
  if (f.device) where.push(`p.device_id = ${param(f.device)}`);
  if (f.room) {
    const room = param(likePattern(f.room));
    where.push(`(d.name ILIKE ${room} OR d.room ILIKE ${room})`);
  }
  if (f.from) where.push(`${SORT_KEY} >= ${param(f.from)}`);
  if (f.to) where.push(`${SORT_KEY} < ${param(f.to)}`);
  if (f.status === 'live') where.push('p.ended_at IS NULL');
  if (f.status === 'ended') where.push('p.ended_at IS NOT NULL');
  if (f.status === 'available')
    // As deriveSyncState says `available`: ended, every analysis in, the final segment sealed, and
    // every segment sealed ready verified here.
    where.push(`p.ended_at IS NOT NULL
      AND (p.device_frame_count IS NULL OR coalesce(f.frames, 0) >= p.device_frame_count)
      AND EXISTS (SELECT 1 FROM recording_seals s WHERE s.procedure_id = p.id AND s.final)
      AND EXISTS (SELECT 1 FROM recording_seals s WHERE s.procedure_id = p.id AND s.status = 'ready')
      AND NOT EXISTS (
        SELECT 1 FROM recording_seals s
         WHERE s.procedure_id = p.id AND s.status = 'ready'
           AND NOT EXISTS (SELECT 1 FROM recordings r
                            WHERE r.procedure_id = p.id AND r.sha256_claimed = s.sha256 AND r.status = 'available'))`);
  if (f.hasFindings)
    where.push(
      `${f.hasFindings === 'true' ? '' : 'NOT '}EXISTS (SELECT 1 FROM alerts a WHERE a.procedure_id = p.id)`,
    );
  if (f.q) {
    const q = param(likePattern(f.q));
    where.push(
      f.deidentified
        ? `(p.source_label ILIKE ${q} OR d.name ILIKE ${q} OR p.end_reason ILIKE ${q})`
        : `(p.operator ILIKE ${q} OR p.source_label ILIKE ${q} OR d.name ILIKE ${q} OR p.end_reason ILIKE ${q}
      OR EXISTS (SELECT 1 FROM chat_messages m WHERE m.procedure_id = p.id AND m.text ILIKE ${q}))`,
    );
  }
  return { where, params };
}

/**
 * The sort key as ISO text to the microsecond, as PostgreSQL holds it: a JavaScript Date keeps only
 * milliseconds, and a cursor cut to the millisecond skipped the rows of the next page that shared its
 * millisecond (procedures created by the hub's own clock, `now()`, a few microseconds apart).
 */
const SORT_CURSOR = `to_char(${SORT_KEY} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const cursorOf = (row: ProcedureRow & { sort_cursor: string }) =>
  Buffer.from(JSON.stringify({ t: row.sort_cursor, id: row.id })).toString('base64url');

/**
 * One page of the procedures within `scope` matching the filters, newest first, and how many match in
 * all (within `scope` too).
 */
export async function searchProcedures(
  db: Queryable,
  f: ProcedureFilter,
  scope: SiteScope,
): Promise<ProcedurePage> {
  const { where, params } = conditions(f, scope);
  const filtered = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const pageWhere = [...where];
  const pageParams = [...params];
  if (f.cursor) {
    pageParams.push(f.cursor.t, f.cursor.id);
    // Keyset paging: rows after the cursor in (time, id) descending order, stable while rows arrive.
    pageWhere.push(
      `(${SORT_KEY}, p.id) < ($${pageParams.length - 1}::timestamptz, $${pageParams.length}::uuid)`,
    );
  }
  pageParams.push(f.limit + 1);
  const [total, { rows }] = await Promise.all([
    db.query<{ n: string }>(`SELECT count(*) AS n FROM ${PROCEDURE_FROM} ${filtered}`, params),
    db.query<ProcedureRow & { sort_cursor: string }>(
      `SELECT ${PROCEDURE_COLUMNS}, ${SORT_CURSOR} AS sort_cursor
       FROM ${PROCEDURE_FROM}
      ${pageWhere.length ? `WHERE ${pageWhere.join(' AND ')}` : ''}
      ORDER BY ${SORT_KEY} DESC, p.id DESC
      LIMIT $${pageParams.length}`,
      pageParams,
    ),
  ]);
  const more = rows.length > f.limit;
  const page = rows.slice(0, f.limit);
  return {
    items: await summarise(db, page),
    nextCursor: more ? cursorOf(page[page.length - 1]!) : null,
    total: Number(total.rows[0]!.n),
    limit: f.limit,
  };
}

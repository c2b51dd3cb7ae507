import { z } from 'zod';
import type { Queryable } from '../db/database.js';

const text = (max: number) => z.string().trim().min(1).max(max);

/** `GET /api/v1/audit` and `/api/v1/audit.csv` query: every filter optional, newest first, keyset paging. */
export const auditFilterSchema = z
  .object({
    from: z.iso.datetime({ offset: true, message: 'from must be an ISO 8601 date-time' }).optional(),
    to: z.iso.datetime({ offset: true, message: 'to must be an ISO 8601 date-time' }).optional(),
    /** A user's or device's id, or a user's name. */
    actor: text(200).optional(),
    /** An action (`video.play`), or every action of a kind (`video.*`). */
    action: z
      .string()
      .regex(/^[a-z][a-z0-9_-]*(\.([a-z][a-z0-9_-]*|\*))*$/, 'action must look like video.play or video.*')
      .max(100)
      .optional(),
    objectType: text(100).optional(),
    objectId: text(200).optional(),
    /** Records older than this id (the previous page's `nextCursor`). */
    cursor: z.coerce.number().int().positive('cursor must be a positive integer').optional(),
    limit: z.coerce
      .number()
      .int()
      .min(1, 'limit must be 1..500')
      .max(500, 'limit must be 1..500')
      .default(100),
  })
  .strict()
  .refine((f) => !f.from || !f.to || Date.parse(f.from) <= Date.parse(f.to), {
    message: 'from must not be after to',
  });
export type AuditFilter = z.infer<typeof auditFilterSchema>;

/** A record as served to auditors. */
export interface AuditRecord {
  id: string;
  at: string;
  actorKind: string;
  actorId: string | null;
  actorName: string | null;
  actorRole: string | null;
  action: string;
  objectType: string | null;
  objectId: string | null;
  outcome: string;
  address: string | null;
  detail: Record<string, unknown> | null;
}

/** One page of records matching `filter`, newest first, and the cursor of the next page (null at the end). */
export async function readAudit(
  db: Queryable,
  filter: Omit<AuditFilter, 'limit'> & { limit: number },
): Promise<{ entries: AuditRecord[]; nextCursor: string | null }> {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    values.push(value);
    where.push(sql.replaceAll('$?', `$${values.length}`));
  };
  if (filter.from) add('at >= $?', filter.from);
  if (filter.to) add('at <= $?', filter.to);
  if (filter.actor) add('(actor_id = $? OR actor_name = $?)', filter.actor);
  if (filter.action?.endsWith('.*')) add('starts_with(action, $?)', filter.action.slice(0, -1));
  else if (filter.action) add('action = $?', filter.action);
  if (filter.objectType) add('object_type = $?', filter.objectType);
  if (filter.objectId) add('object_id = $?', filter.objectId);
  if (filter.cursor) add('id < $?', filter.cursor);
  values.push(filter.limit + 1);
  const { rows } = await db.query<{
    id: string;
    at: Date;
    actor_kind: string;
    actor_id: string | null;
    actor_name: string | null;
    actor_role: string | null;
    action: string;
    object_type: string | null;
    object_id: string | null;
    outcome: string;
    address: string | null;
    detail: Record<string, unknown> | null;
  }>(
    `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY id DESC LIMIT $${values.length}`,
    values,
  );
  const page = rows.slice(0, filter.limit);
  return {
    entries: page.map((r) => ({
      id: r.id,
      at: r.at.toISOString(),
      actorKind: r.actor_kind,
      actorId: r.actor_id,
      actorName: r.actor_name,
      actorRole: r.actor_role,
      action: r.action,
      objectType: r.object_type,
      objectId: r.object_id,
      outcome: r.outcome,
      address: r.address,
      detail: r.detail,
    })),
    nextCursor: rows.length > filter.limit ? page.at(-1)!.id : null,
  };
}

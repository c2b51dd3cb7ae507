import type { Logger } from '@gic/shared/logging/logger.js';
import type { Queryable } from '../db/database.js';

/** Never purged younger than this, whatever is configured (the database enforces it too). */
export const AUDIT_MIN_RETENTION_DAYS = 365;
/** Six years and a bit: hospitals keep audit trails at least six years. */
export const AUDIT_DEFAULT_RETENTION_DAYS = 2200;

/**
 * Deletes audit records older than `keepDays`, through the owner's SECURITY DEFINER function
 * `audit_log_purge` (the application's role cannot delete them otherwise). Returns how many went.
 */
export async function purgeAuditLog(db: Queryable, keepDays: number, log?: Logger): Promise<number> {
  const { rows } = await db.query<{ removed: string }>('SELECT audit_log_purge($1) AS removed', [keepDays]);
  const removed = Number(rows[0]!.removed);
  if (removed) log?.info({ removed, keepDays }, 'audit log records past retention deleted');
  return removed;
}

import type { Logger } from '@gic/shared/logging/logger.js';
import type { Queryable } from '../db/database.js';

/** How long an ended sign-in's record is kept (days): long enough to answer "who was signed in when". */
export const SESSION_RECORD_DAYS = 90;

/**
 * Deletes the records of sessions that ended (signed out, revoked, or past their end) more than
 * `keepDays` ago, with their refresh tokens (used or not: they can no longer be used). Open sessions
 * are never touched. Who did what stays in the audit log, which has its own retention. Run daily by
 * the worker with the other purges.
 */
export async function purgeEndedSessions(
  db: Queryable,
  keepDays = SESSION_RECORD_DAYS,
  log?: Logger,
  now = new Date(),
): Promise<number> {
  const before = new Date(now.getTime() - keepDays * 86_400_000);
  const { rowCount } = await db.query(
    `DELETE FROM user_sessions
      WHERE (revoked_at IS NOT NULL AND revoked_at < $1) OR expires_at < $1`,
    [before],
  );
  const removed = rowCount ?? 0;
  if (removed) log?.info({ removed, keepDays }, 'records of ended sessions deleted');
  return removed;
}

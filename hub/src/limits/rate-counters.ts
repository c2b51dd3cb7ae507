import type { Queryable } from '../db/database.js';

/** At most `limit` in each window of `windowSeconds` (fixed windows aligned to the epoch). */
export interface RateRule {
  limit: number;
  windowSeconds: number;
}

export interface RateState {
  /** Hits counted in the current window (this one included, for `hit`). */
  count: number;
  /** Whether this hit (or, for `peek`, the next) is within the limit. */
  allowed: boolean;
  /** Seconds until the window ends and the count starts again: the `Retry-After` of a refusal. */
  retryAfterSeconds: number;
}

// The window containing now(), computed by PostgreSQL so every API process agrees on it.
const WINDOW_START = 'to_timestamp(floor(extract(epoch FROM now()) / $2) * $2)';
const WINDOW_END = 'to_timestamp(floor(extract(epoch FROM now()) / $2) * $2 + $2)';

let hitsSinceSweep = 0;

/**
 * Counts one hit of `key` in PostgreSQL (one statement, atomic under concurrency), so that several API
 * processes share the count. Old windows are swept now and then.
 */
export async function hitRate(db: Queryable, key: string, rule: RateRule): Promise<RateState> {
  const { rows } = await db.query<{ count: number; retry: number }>(
    `INSERT INTO rate_counters (key, window_start, window_end, count)
     VALUES ($1, ${WINDOW_START}, ${WINDOW_END}, 1)
     ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counters.count + 1
     RETURNING count, ceil(extract(epoch FROM window_end - now()))::int AS retry`,
    [key, rule.windowSeconds],
  );
  if (++hitsSinceSweep >= 1000) {
    hitsSinceSweep = 0;
    await db.query("DELETE FROM rate_counters WHERE window_end < now() - interval '1 hour'");
  }
  const { count, retry } = rows[0]!;
  return { count, allowed: count <= rule.limit, retryAfterSeconds: Math.max(1, retry) };
}

/** The count of `key` in the current window, without counting; `allowed`: one more hit would be. */
export async function peekRate(db: Queryable, key: string, rule: RateRule): Promise<RateState> {
  const { rows } = await db.query<{ count: number; retry: number }>(
    `SELECT count, ceil(extract(epoch FROM window_end - now()))::int AS retry FROM rate_counters
     WHERE key = $1 AND window_start = ${WINDOW_START}`,
    [key, rule.windowSeconds],
  );
  const count = rows[0]?.count ?? 0;
  return {
    count,
    allowed: count < rule.limit,
    retryAfterSeconds: Math.max(1, rows[0]?.retry ?? rule.windowSeconds),
  };
}

/** Takes back one hit of `key` in the current window (a request that was refused after all). */
export async function unhitRate(db: Queryable, key: string, rule: RateRule): Promise<void> {
  await db.query(
    `UPDATE rate_counters SET count = count - 1 WHERE key = $1 AND window_start = ${WINDOW_START} AND count > 0`,
    [key, rule.windowSeconds],
  );
}

/** Forgets `key`'s counts (an account's failures after a successful sign-in or an admin's unlock). */
export async function resetRate(db: Queryable, key: string): Promise<void> {
  await db.query('DELETE FROM rate_counters WHERE key = $1', [key]);
}

import type { MiddlewareHandler } from 'hono';
import type { Queryable } from '../db/database.js';
import { hitRate, type RateRule, unhitRate } from '../limits/rate-counters.js';
import type { HubEnv } from './hub-env.js';
import { tooManyRequests } from './too-many-requests.js';

/**
 * Limits how often each signed-in user may do `what` (after `allow`, which sets the user): one hit
 * counted per request in PostgreSQL, 429 with `Retry-After` past the limit. A request the route then
 * refuses (an unknown video, one not de-identified yet: any 4xx or 5xx) is taken back, so only work
 * that was accepted counts. Counting first keeps concurrent requests from slipping past the limit.
 * No rule: unlimited.
 */
export function perUserLimit(db: Queryable, what: string, rule: RateRule | null): MiddlewareHandler<HubEnv> {
  return async (c, next) => {
    const user = c.get('user');
    if (!rule || !user) return next();
    const key = `${what}:user:${user.userId}`;
    const state = await hitRate(db, key, rule);
    if (!state.allowed)
      tooManyRequests(state, `at most ${rule.limit} ${what} per ${describeWindow(rule.windowSeconds)}`);
    await next();
    if (c.res.status >= 400) await unhitRate(db, key, rule);
  };
}

function describeWindow(seconds: number): string {
  if (seconds % 86_400 === 0) return seconds === 86_400 ? 'day' : `${seconds / 86_400} days`;
  if (seconds % 3600 === 0) return seconds === 3600 ? 'hour' : `${seconds / 3600} hours`;
  if (seconds % 60 === 0) return seconds === 60 ? 'minute' : `${seconds / 60} minutes`;
  return `${seconds} s`;
}

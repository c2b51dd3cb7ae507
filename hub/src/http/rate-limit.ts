import type { MiddlewareHandler } from 'hono';
import type { Queryable } from '../db/database.js';
import { hitRate, type RateRule } from '../limits/rate-counters.js';
import type { HubEnv } from './hub-env.js';
import { tooManyRequests } from './too-many-requests.js';

/**
 * Limits how often each signed-in user may do `what` (after `allow`, which sets the user): one hit
 * counted per request in PostgreSQL, 429 with `Retry-After` past the limit. No rule: unlimited.
 */
export function perUserLimit(db: Queryable, what: string, rule: RateRule | null): MiddlewareHandler<HubEnv> {
  return async (c, next) => {
    const user = c.get('user');
    if (rule && user) {
      const state = await hitRate(db, `${what}:user:${user.userId}`, rule);
      if (!state.allowed)
        tooManyRequests(state, `at most ${rule.limit} ${what} per ${describeWindow(rule.windowSeconds)}`);
    }
    await next();
  };
}

function describeWindow(seconds: number): string {
  if (seconds % 86_400 === 0) return seconds === 86_400 ? 'day' : `${seconds / 86_400} days`;
  if (seconds % 3600 === 0) return seconds === 3600 ? 'hour' : `${seconds / 3600} hours`;
  if (seconds % 60 === 0) return seconds === 60 ? 'minute' : `${seconds / 60} minutes`;
  return `${seconds} s`;
}

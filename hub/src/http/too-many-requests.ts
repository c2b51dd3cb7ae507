import { HTTPException } from 'hono/http-exception';
import type { RateState } from '../limits/rate-counters.js';

/** Refuses with 429 and `Retry-After` (seconds), as RFC 6585 and RFC 9110 10.2.3 say. */
export function tooManyRequests(rate: RateState, message: string): never {
  const retry = String(rate.retryAfterSeconds);
  throw new HTTPException(429, {
    message: `${message}; try again in ${retry} s`,
    res: new Response(null, { status: 429, headers: { 'retry-after': retry } }),
  });
}

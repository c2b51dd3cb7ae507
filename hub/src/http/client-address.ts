import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

/**
 * The address a request came from: the TCP peer (a proxy's `X-Forwarded-For` is not trusted, since
 * anyone can send it). 'unknown' where there is no socket (an in-process request in a test).
 */
export function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

import type { Context } from 'hono';
import { clientAddress as auditedAddress } from '../audit/audit-log.js';
import type { HubEnv } from './hub-env.js';

/**
 * The address a request came from, as the audit log records it: the TCP peer, or behind a trusted
 * proxy (GIC_TRUST_PROXY) the last `X-Forwarded-For` hop. 'unknown' where there is no socket.
 */
export function clientAddress(c: Context<HubEnv>): string {
  return auditedAddress(c, c.get('auditSink')?.trustProxy ?? false) ?? 'unknown';
}

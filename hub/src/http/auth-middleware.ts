import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { PERMISSIONS, type Permission, roleHas } from '../auth/permissions.js';
import { activeSessionRole } from '../auth/session-service.js';
import { verifyUserToken } from '../auth/session-tokens.js';
import type { Queryable } from '../db/database.js';
import { authenticateDevice } from '../devices/device-auth.js';
import { hitRate, type RateRule } from '../limits/rate-counters.js';
import type { HubEnv } from './hub-env.js';
import { tooManyRequests } from './too-many-requests.js';

/** What checking a person's request needs: the signing secret, the sessions, and the API's rate. */
export interface UserAuth {
  db: Queryable;
  secret: Uint8Array;
  /** Requests per user (GIC_RATE_API_PER_MINUTE); null: unlimited. */
  apiRate: RateRule | null;
}

function bearer(header: string | undefined): string {
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  if (!match) throw new HTTPException(401, { message: 'missing bearer token' });
  return match[1]!;
}

/** The permission each guard was made for, so a test can compare a route's guard with its declaration. */
export const guardPermission = new WeakMap<MiddlewareHandler<HubEnv>, Permission>();

/**
 * Requires a signed-in person whose role holds `permission` (auth/permissions.ts): a valid access
 * token (algorithm, issuer, audience and type pinned) of a session that is still open, of a user who
 * is not disabled (the role is read from the database, so a change applies at once), within the API's
 * rate. Until a forced password change is done only `session.own` is allowed. Sets `user`.
 */
export function allow(auth: UserAuth, permission: Permission): MiddlewareHandler<HubEnv> {
  if (!PERMISSIONS[permission]) throw new Error(`unknown permission ${permission}`);
  const guard: MiddlewareHandler<HubEnv> = async (c, next) => {
    const token = bearer(c.req.header('authorization'));
    let claims: Awaited<ReturnType<typeof verifyUserToken>>;
    try {
      claims = await verifyUserToken(auth.secret, token);
    } catch {
      throw new HTTPException(401, { message: 'invalid or expired token' });
    }
    const role = await activeSessionRole(auth.db, claims.sessionId, claims.userId);
    if (!role) throw new HTTPException(401, { message: 'session ended' });
    const user = { ...claims, role };
    c.set('user', user);
    if (auth.apiRate) {
      const rate = await hitRate(auth.db, `api:user:${user.userId}`, auth.apiRate);
      if (!rate.allowed) tooManyRequests(rate, 'too many requests');
    }
    if (user.mustChangePassword && permission !== 'session.own')
      throw new HTTPException(403, { message: 'change your password first' });
    if (!roleHas(role, permission))
      throw new HTTPException(403, { message: `not allowed for role ${role} (needs ${permission})` });
    await next();
  };
  guardPermission.set(guard, permission);
  return guard;
}

/** Requires a device-signed token (see provisioning); sets `deviceId`. */
export function requireDevice(db: Queryable): MiddlewareHandler<HubEnv> {
  return async (c, next) => {
    const token = bearer(c.req.header('authorization'));
    try {
      c.set('deviceId', await authenticateDevice(db, token));
    } catch (err) {
      c.get('log').warn({ reason: (err as Error).message }, 'device authentication failed');
      throw new HTTPException(401, { message: 'device authentication failed' });
    }
    await next();
  };
}

import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { type UserRole, verifyUserToken } from '../auth/session-tokens.js';
import type { Queryable } from '../db/database.js';
import { authenticateDevice } from '../devices/device-auth.js';
import type { HubEnv } from './hub-env.js';

function bearer(header: string | undefined): string {
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  if (!match) throw new HTTPException(401, { message: 'missing bearer token' });
  return match[1]!;
}

/** Requires a signed-in user with one of the given roles (any role when none are given). */
export function requireUser(secret: Uint8Array, ...roles: UserRole[]): MiddlewareHandler<HubEnv> {
  return async (c, next) => {
    const token = bearer(c.req.header('authorization'));
    let user: Awaited<ReturnType<typeof verifyUserToken>>;
    try {
      user = await verifyUserToken(secret, token);
    } catch {
      throw new HTTPException(401, { message: 'invalid or expired token' });
    }
    c.set('user', user); // before the role check: the audit log names who was refused
    if (roles.length > 0 && !roles.includes(user.role)) {
      throw new HTTPException(403, { message: `requires role ${roles.join(' or ')}` });
    }
    await next();
  };
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

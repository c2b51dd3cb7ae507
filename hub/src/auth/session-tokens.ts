import { jwtVerify, SignJWT } from 'jose';
import { isUserRole, type UserRole } from './permissions.js';

export type { UserRole } from './permissions.js';

export interface UserClaims {
  userId: string;
  username: string;
  role: UserRole;
  /** The sign-in (session) the token belongs to: signing out or an admin ends it for every token. */
  sessionId: string;
  /** Signed in with a password an admin set: only changing it is allowed until then. */
  mustChangePassword?: boolean;
}

const USER_AUDIENCE = 'gic-hub-user';
const SERVICE_AUDIENCE = 'gic-hub-service';
const ISSUER = 'gic-hub';
const ALG = 'HS256';
/** The JWT `typ` of a person's access token (RFC 9068), pinned at verification (RFC 8725, 3.11). */
const ACCESS_TYP = 'at+jwt';
const SERVICE_TYP = 'gic-service+jwt';
/** A person's access token lives 15 minutes; the session goes on by refresh tokens (session-service.ts). */
export const ACCESS_TOKEN_SECONDS = 15 * 60;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An access token for a signed-in user. */
export function signUserToken(
  secret: Uint8Array,
  claims: UserClaims,
  ttlSeconds = ACCESS_TOKEN_SECONDS,
): Promise<string> {
  return new SignJWT({
    username: claims.username,
    role: claims.role,
    sid: claims.sessionId,
    ...(claims.mustChangePassword ? { mcp: true } : {}),
  })
    .setProtectedHeader({ alg: ALG, typ: ACCESS_TYP })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setAudience(USER_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(secret);
}

/** Checks a user's access token with algorithm, issuer, audience and token type pinned. */
export async function verifyUserToken(secret: Uint8Array, token: string): Promise<UserClaims> {
  const { payload } = await jwtVerify(token, secret, {
    algorithms: [ALG],
    issuer: ISSUER,
    audience: USER_AUDIENCE,
    typ: ACCESS_TYP,
    requiredClaims: ['exp', 'iat', 'sub'],
  });
  const { role, sid, username } = payload;
  if (typeof payload.sub !== 'string' || typeof username !== 'string' || typeof sid !== 'string')
    throw new Error('malformed token');
  if (!UUID.test(payload.sub) || !UUID.test(sid)) throw new Error('malformed token');
  if (!isUserRole(role)) throw new Error('malformed token');
  return {
    userId: payload.sub,
    username,
    role,
    sessionId: sid,
    ...(payload.mcp === true ? { mustChangePassword: true } : {}),
  };
}

/** A token for the hub's own processes (ingest) to connect to the broker. */
export function signServiceToken(secret: Uint8Array, service: string, ttl = '10m'): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: ALG, typ: SERVICE_TYP })
    .setSubject(service)
    .setIssuer(ISSUER)
    .setAudience(SERVICE_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(secret);
}

/** Checks a service token; resolves with the service name. */
export async function verifyServiceToken(secret: Uint8Array, token: string): Promise<string> {
  const { payload } = await jwtVerify(token, secret, {
    algorithms: [ALG],
    issuer: ISSUER,
    audience: SERVICE_AUDIENCE,
    typ: SERVICE_TYP,
  });
  if (typeof payload.sub !== 'string') throw new Error('malformed token');
  return payload.sub;
}

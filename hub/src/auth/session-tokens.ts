import { jwtVerify, SignJWT } from 'jose';

export type UserRole = 'admin' | 'reviewer' | 'trainee' | 'operator' | 'auditor';
const USER_ROLES: readonly string[] = ['admin', 'reviewer', 'trainee', 'operator', 'auditor'];
export interface UserClaims {
  userId: string;
  username: string;
  role: UserRole;
}

const USER_AUDIENCE = 'gic-hub-user';
const SERVICE_AUDIENCE = 'gic-hub-service';
const ISSUER = 'gic-hub';
const ALG = 'HS256';

/** An access token for a signed-in user (8 h: one working shift). */
export function signUserToken(secret: Uint8Array, claims: UserClaims, ttl = '8h'): Promise<string> {
  return new SignJWT({ username: claims.username, role: claims.role })
    .setProtectedHeader({ alg: ALG })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setAudience(USER_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(secret);
}

/** Checks a user token with algorithm, issuer and audience pinned. */
export async function verifyUserToken(secret: Uint8Array, token: string): Promise<UserClaims> {
  const { payload } = await jwtVerify(token, secret, {
    algorithms: [ALG],
    issuer: ISSUER,
    audience: USER_AUDIENCE,
  });
  const role = payload.role;
  if (typeof payload.sub !== 'string' || typeof payload.username !== 'string')
    throw new Error('malformed token');
  if (typeof role !== 'string' || !USER_ROLES.includes(role)) throw new Error('malformed token');
  return { userId: payload.sub, username: payload.username, role: role as UserRole };
}

/** A token for the hub's own processes (ingest) to connect to the broker. */
export function signServiceToken(secret: Uint8Array, service: string, ttl = '10m'): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: ALG })
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
  });
  if (typeof payload.sub !== 'string') throw new Error('malformed token');
  return payload.sub;
}

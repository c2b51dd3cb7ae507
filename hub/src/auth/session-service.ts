/**
 * People's sessions: a sign-in opens a session; its access tokens live 15 minutes and its refresh
 * tokens are used once each, rotated at every refresh (one family per session). A refresh token used a
 * second time means it was copied: the whole session is revoked (OAuth 2.0 Security BCP, RFC 9700
 * 4.14.2). Signing out, an admin, disabling the user or a password reset end sessions; every request
 * checks its session (http/auth-middleware.ts), so an ended session's access tokens stop at once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type Database, inTransaction, type Queryable } from '../db/database.js';
import { isUserRole, type UserRole } from './permissions.js';
import { ACCESS_TOKEN_SECONDS, signUserToken } from './session-tokens.js';
import type { UserRow } from './users-repo.js';

export interface SessionPolicy {
  /** A refresh token not used within this ends the session (idle timeout), in seconds. */
  idleSeconds: number;
  /** A session ends this long after sign-in however often it is refreshed, in seconds. */
  maxSeconds: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = { idleSeconds: 60 * 60, maxSeconds: 12 * 60 * 60 };

export interface SessionTokens {
  accessToken: string;
  tokenType: 'Bearer';
  /** Seconds the access token is valid. */
  expiresIn: number;
  refreshToken: string;
  /** Seconds the refresh token is valid (the idle timeout, or less near the session's end). */
  refreshExpiresIn: number;
  sessionId: string;
  username: string;
  role: UserRole;
  mustChangePassword: boolean;
}

/** Why a refresh was refused (the answer is 401 whatever it is; the reason goes to the log). */
export class RefreshRefused extends Error {}

const hashToken = (token: string) => createHash('sha256').update(token).digest('base64url');
const newRefreshToken = () => `gic-rt-${randomBytes(32).toString('base64url')}`;

async function issue(
  db: Queryable,
  secret: Uint8Array,
  user: Pick<UserRow, 'id' | 'username' | 'role' | 'must_change_password'>,
  sessionId: string,
  sessionExpiresAt: Date,
  policy: SessionPolicy,
): Promise<SessionTokens> {
  const refreshToken = newRefreshToken();
  const refreshSeconds = Math.max(
    1,
    Math.min(policy.idleSeconds, Math.floor((sessionExpiresAt.getTime() - Date.now()) / 1000)),
  );
  await db.query(
    `INSERT INTO refresh_tokens (token_hash, session_id, expires_at)
     VALUES ($1, $2, now() + make_interval(secs => $3))`,
    [hashToken(refreshToken), sessionId, refreshSeconds],
  );
  const expiresIn = Math.min(ACCESS_TOKEN_SECONDS, refreshSeconds);
  const accessToken = await signUserToken(
    secret,
    {
      userId: user.id,
      username: user.username,
      role: user.role,
      sessionId,
      mustChangePassword: user.must_change_password,
    },
    expiresIn,
  );
  return {
    accessToken,
    tokenType: 'Bearer',
    expiresIn,
    refreshToken,
    refreshExpiresIn: refreshSeconds,
    sessionId,
    username: user.username,
    role: user.role,
    mustChangePassword: user.must_change_password,
  };
}

/** Opens a session for a user who has just proved who they are. */
export async function startSession(
  db: Database,
  secret: Uint8Array,
  user: Pick<UserRow, 'id' | 'username' | 'role' | 'must_change_password'>,
  meta: { address?: string | null; userAgent?: string | null },
  policy: SessionPolicy = DEFAULT_SESSION_POLICY,
): Promise<SessionTokens> {
  return inTransaction(db, async (tx) => {
    const { rows } = await tx.query<{ id: string; expires_at: Date }>(
      `INSERT INTO user_sessions (user_id, expires_at, address, user_agent)
       VALUES ($1, now() + make_interval(secs => $2), $3, $4) RETURNING id, expires_at`,
      [user.id, policy.maxSeconds, meta.address ?? null, meta.userAgent?.slice(0, 300) ?? null],
    );
    return issue(tx, secret, user, rows[0]!.id, rows[0]!.expires_at, policy);
  });
}

/**
 * Trades a refresh token for new tokens, once. A token already used revokes its session; an expired
 * one, one of an ended session, or one of a disabled user is refused.
 */
export async function refreshSession(
  db: Database,
  secret: Uint8Array,
  refreshToken: string,
  policy: SessionPolicy = DEFAULT_SESSION_POLICY,
): Promise<SessionTokens> {
  const outcome = await inTransaction(db, async (tx) => {
    const { rows } = await tx.query<{
      used_at: Date | null;
      expired: boolean;
      session_id: string;
      session_open: boolean;
      session_expires_at: Date;
      id: string;
      username: string;
      role: string;
      must_change_password: boolean;
      disabled: boolean;
    }>(
      `SELECT r.used_at, r.expires_at <= now() AS expired, s.id AS session_id,
              (s.revoked_at IS NULL AND s.expires_at > now()) AS session_open,
              s.expires_at AS session_expires_at,
              u.id, u.username, u.role, u.must_change_password, u.disabled_at IS NOT NULL AS disabled
       FROM refresh_tokens r JOIN user_sessions s ON s.id = r.session_id JOIN users u ON u.id = s.user_id
       WHERE r.token_hash = $1 FOR UPDATE OF r, s`,
      [hashToken(refreshToken)],
    );
    const row = rows[0];
    if (!row) return new RefreshRefused('unknown refresh token');
    if (row.used_at) {
      await endSessionIn(tx, row.session_id, 'refresh token reused');
      return new RefreshRefused('refresh token reused: session revoked');
    }
    if (!row.session_open) return new RefreshRefused('session ended');
    if (row.expired) return new RefreshRefused('refresh token expired');
    if (row.disabled) return new RefreshRefused('user disabled');
    if (!isUserRole(row.role)) return new RefreshRefused('unknown role');
    await tx.query('UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1', [
      hashToken(refreshToken),
    ]);
    await tx.query('UPDATE user_sessions SET last_refreshed_at = now() WHERE id = $1', [row.session_id]);
    return issue(tx, secret, { ...row, role: row.role }, row.session_id, row.session_expires_at, policy);
  });
  // Thrown outside the transaction, so that a reuse's revocation is committed.
  if (outcome instanceof RefreshRefused) throw outcome;
  return outcome;
}

async function endSessionIn(db: Queryable, sessionId: string, reason: string): Promise<void> {
  await db.query(
    'UPDATE user_sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL',
    [sessionId, reason],
  );
}

/** Ends one session (sign-out). */
export function endSession(db: Queryable, sessionId: string, reason = 'signed out'): Promise<void> {
  return endSessionIn(db, sessionId, reason);
}

/** Ends every open session of a user, but `except`; resolves with how many were ended. */
export async function endUserSessions(
  db: Queryable,
  userId: string,
  reason: string,
  except?: string,
): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE user_sessions SET revoked_at = now(), revoked_reason = $2
     WHERE user_id = $1 AND revoked_at IS NULL AND ($3::uuid IS NULL OR id <> $3::uuid)`,
    [userId, reason, except ?? null],
  );
  return rowCount ?? 0;
}

/** The user's current role when the session is open and the user enabled; null otherwise. */
export async function activeSessionRole(
  db: Queryable,
  sessionId: string,
  userId: string,
): Promise<UserRole | null> {
  const { rows } = await db.query<{ role: string }>(
    `SELECT u.role FROM user_sessions s JOIN users u ON u.id = s.user_id
     WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now()
       AND u.disabled_at IS NULL`,
    [sessionId, userId],
  );
  const role = rows[0]?.role;
  return isUserRole(role) ? role : null;
}

import { readJson } from '@gic/shared/http/request-context.js';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { audit, auditObject } from '../audit/audit-log.js';
import { passwordProblem } from '../auth/password-policy.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import {
  endSession,
  endUserSessions,
  RefreshRefused,
  refreshSession,
  type SessionPolicy,
  startSession,
} from '../auth/session-service.js';
import { findUserById, findUserByName, setUserPassword } from '../auth/users-repo.js';
import type { Database } from '../db/database.js';
import { hitRate, peekRate, type RateRule, resetRate } from '../limits/rate-counters.js';
import { allow, type UserAuth } from './auth-middleware.js';
import { clientAddress } from './client-address.js';
import type { HubEnv } from './hub-env.js';
import { tooManyRequests } from './too-many-requests.js';

export const loginSchema = z.object({
  username: z.string().min(1).max(100),
  password: z.string().min(1).max(1000),
});
export const refreshSchema = z.object({ refreshToken: z.string().min(1).max(200) });
export const changePasswordSchema = z.object({
  currentPassword: z.string().min(1).max(1000),
  newPassword: z.string().min(1).max(1000),
});

/** Failed sign-ins allowed per account and per address before 429 (GIC_LOGIN_*). */
export interface LoginLimits {
  perAccount: RateRule;
  perAddress: RateRule;
}

export interface AuthRoutesOptions {
  db: Database;
  auth: UserAuth;
  sessions: SessionPolicy;
  login: LoginLimits;
}

const accountKey = (username: string) => `login:account:${username.toLowerCase()}`;
const addressKey = (address: string) => `login:address:${address}`;

/**
 * `POST /login` -> tokens, `POST /refresh` (rotates), `POST /logout`, `GET /me`, `POST /password`.
 * Sign-in is throttled per account and per address (PostgreSQL counters shared by every API process):
 * past the limit it answers 429 with `Retry-After`, even for the right password, until the window ends.
 */
export function authRoutes({ db, auth, sessions, login }: AuthRoutesOptions) {
  const own = allow(auth, 'session.own');
  return new Hono<HubEnv>()
    .post('/login', audit('auth.login', 'user'), async (c) => {
      const { username, password } = await readJson(c, loginSchema);
      auditObject(c, username.slice(0, 100));
      const address = clientAddress(c);
      const log = c.get('log');
      for (const [key, rule, what] of [
        [accountKey(username), login.perAccount, 'this account'],
        [addressKey(address), login.perAddress, 'this address'],
      ] as const) {
        const state = await peekRate(db, key, rule);
        if (!state.allowed) {
          log.warn({ username, address, key }, 'sign-in refused: too many failed attempts');
          tooManyRequests(state, `too many failed sign-ins for ${what}`);
        }
      }
      const user = await findUserByName(db, username);
      // Same answer for an unknown user and a wrong password, so names cannot be probed.
      if (!user || !(await verifyPassword(password, user.password_hash))) {
        const [account] = await Promise.all([
          hitRate(db, accountKey(username), login.perAccount),
          hitRate(db, addressKey(address), login.perAddress),
        ]);
        log.warn({ username, address, failures: account.count }, 'login failed');
        if (account.count === login.perAccount.limit && user)
          // Reported to admins: the log (error level, for alerting) and the people page's lock.
          log.error(
            { username, address, lockedForS: account.retryAfterSeconds },
            'account locked after repeated failed sign-ins',
          );
        throw new HTTPException(401, { message: 'invalid username or password' });
      }
      if (user.disabled_at) throw new HTTPException(403, { message: 'this account is disabled' });
      await resetRate(db, accountKey(username));
      const tokens = await startSession(
        db,
        auth.secret,
        user,
        { address, userAgent: c.req.header('user-agent') ?? null },
        sessions,
      );
      log.info({ username, sessionId: tokens.sessionId, address }, 'signed in');
      return c.json(tokens);
    })
    .post('/refresh', async (c) => {
      const { refreshToken } = await readJson(c, refreshSchema);
      try {
        return c.json(await refreshSession(db, auth.secret, refreshToken, sessions));
      } catch (err) {
        if (!(err instanceof RefreshRefused)) throw err;
        c.get('log').warn({ reason: err.message, address: clientAddress(c) }, 'refresh refused');
        throw new HTTPException(401, { message: 'session ended: sign in again' });
      }
    })
    .post('/logout', audit('auth.logout', 'session'), own, async (c) => {
      const user = c.get('user')!;
      await endSession(db, user.sessionId);
      c.get('log').info({ username: user.username, sessionId: user.sessionId }, 'signed out');
      return c.body(null, 204);
    })
    .get('/me', own, (c) => {
      const { username, role, mustChangePassword, sessionId } = c.get('user')!;
      return c.json({ username, role, mustChangePassword: mustChangePassword ?? false, sessionId });
    })
    .post('/password', audit('auth.password-change', 'user'), own, async (c) => {
      const { currentPassword, newPassword } = await readJson(c, changePasswordSchema);
      const claims = c.get('user')!;
      const user = await findUserById(db, claims.userId);
      if (!user || !(await verifyPassword(currentPassword, user.password_hash)))
        throw new HTTPException(400, { message: 'the current password is wrong' });
      const problem = passwordProblem(newPassword, user.username);
      if (problem) throw new HTTPException(400, { message: `new password ${problem}` });
      if (await verifyPassword(newPassword, user.password_hash))
        throw new HTTPException(400, { message: 'new password must differ from the current one' });
      await setUserPassword(db, user.username, await hashPassword(newPassword));
      // Every session of this user ends, this one included; the answer opens a fresh one.
      await endUserSessions(db, user.id, 'password changed');
      c.get('log').info({ username: user.username }, 'password changed');
      const tokens = await startSession(
        db,
        auth.secret,
        { ...user, must_change_password: false },
        { address: clientAddress(c), userAgent: c.req.header('user-agent') ?? null },
        sessions,
      );
      return c.json(tokens);
    });
}

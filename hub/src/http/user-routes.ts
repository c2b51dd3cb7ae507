import { readJson } from '@gic/shared/http/request-context.js';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { audit, auditObject } from '../audit/audit-log.js';
import { passwordProblem } from '../auth/password-policy.js';
import { hashPassword, randomPassword } from '../auth/passwords.js';
import { ROLE_DESCRIPTIONS, ROLES } from '../auth/permissions.js';
import { endUserSessions } from '../auth/session-service.js';
import { siteListSchema } from '../auth/site-scope.js';
import {
  findUserById,
  insertUserIfAbsent,
  listUsers,
  otherEnabledAdmins,
  setUserPassword,
  updateUser,
} from '../auth/users-repo.js';
import type { Database } from '../db/database.js';
import { peekRate, resetRate } from '../limits/rate-counters.js';
import { allow, type UserAuth } from './auth-middleware.js';
import type { LoginLimits } from './auth-routes.js';
import type { HubEnv } from './hub-env.js';

export const createUserSchema = z.object({
  username: z
    .string()
    .min(2)
    .max(100)
    .regex(/^[A-Za-z0-9._@-]+$/, 'letters, digits and . _ @ - only'),
  role: z.enum(ROLES),
  /** A first password; absent: a random one is made and answered once. Either way it must be changed. */
  password: z.string().min(1).max(1000).optional(),
  /** The sites they see (auth/site-scope.ts); absent: none, so a reviewer, trainee or operator sees nothing. */
  sites: siteListSchema.optional(),
});
export const updateUserSchema = z
  .object({
    role: z.enum(ROLES).optional(),
    disabled: z.boolean().optional(),
    /** The whole set of their sites (replaces the one they had). */
    sites: siteListSchema.optional(),
  })
  .refine(
    (v) => v.role !== undefined || v.disabled !== undefined || v.sites !== undefined,
    'give role, disabled or sites',
  );

const idParam = z.string().uuid();

/** The user a `/users/{id}/...` route names; 404 for an id that is not a UUID or names nobody. */
export async function targetUser(db: Database, id: string) {
  if (!idParam.safeParse(id).success) throw new HTTPException(404, { message: 'no such user' });
  const user = await findUserById(db, id);
  if (!user) throw new HTTPException(404, { message: 'no such user' });
  return user;
}

/**
 * People, for admins: list (with locks and open sessions), create, change role, disable, reset a
 * password (the user must then choose their own), end all sessions, lift a sign-in lock.
 */
export function userRoutes(db: Database, auth: UserAuth, login: LoginLimits) {
  const manage = allow(auth, 'users.manage');
  const target = (id: string) => targetUser(db, id);
  return new Hono<HubEnv>()
    .get('/', audit('user.list'), manage, async (c) => {
      const users = await listUsers(db);
      const items = await Promise.all(
        users.map(async (u) => {
          const lock = await peekRate(db, `login:account:${u.username.toLowerCase()}`, login.perAccount);
          return {
            ...u,
            lockedForSeconds: lock.allowed ? null : lock.retryAfterSeconds,
            failedSignIns: lock.count,
          };
        }),
      );
      return c.json({ items, roles: ROLE_DESCRIPTIONS });
    })
    .post('/', audit('user.create', 'user'), manage, async (c) => {
      const body = await readJson(c, createUserSchema);
      const password = body.password ?? randomPassword();
      const problem = passwordProblem(password, body.username);
      if (problem) throw new HTTPException(400, { message: `password ${problem}` });
      const by = c.get('user')!;
      const created = await insertUserIfAbsent(db, body.username, await hashPassword(password), body.role, {
        mustChangePassword: true,
        createdBy: by.userId,
        sites: body.sites ?? [],
      });
      if (!created) throw new HTTPException(409, { message: 'a user of that name exists' });
      auditObject(c, body.username, { role: body.role, sites: body.sites ?? [] });
      c.get('log').info(
        { username: body.username, role: body.role, sites: body.sites ?? [], by: by.username },
        'user created',
      );
      const user = (await listUsers(db)).find((u) => u.username === body.username)!;
      return c.json({ user, ...(body.password ? {} : { temporaryPassword: password }) }, 201);
    })
    .patch('/:id', audit('user.change', 'user', 'id'), manage, async (c) => {
      const change = await readJson(c, updateUserSchema);
      const user = await target(c.req.param('id'));
      const losesAdmin =
        user.role === 'admin' && (change.disabled || (change.role && change.role !== 'admin'));
      if (losesAdmin && (await otherEnabledAdmins(db, user.id)) === 0)
        throw new HTTPException(409, { message: 'the last enabled admin cannot be demoted or disabled' });
      auditObject(c, user.id, { username: user.username, ...change });
      await updateUser(db, user.id, change);
      if (change.disabled) await endUserSessions(db, user.id, 'user disabled');
      c.get('log').info({ username: user.username, ...change, by: c.get('user')!.username }, 'user changed');
      return c.json((await listUsers(db)).find((u) => u.id === user.id));
    })
    .post('/:id/password-reset', audit('user.password-reset', 'user', 'id'), manage, async (c) => {
      const user = await target(c.req.param('id'));
      const temporaryPassword = randomPassword();
      await setUserPassword(db, user.username, await hashPassword(temporaryPassword), true);
      const ended = await endUserSessions(db, user.id, 'password reset by an admin');
      c.get('log').info({ username: user.username, by: c.get('user')!.username }, 'password reset');
      return c.json({ temporaryPassword, endedSessions: ended });
    })
    .post('/:id/sessions/revoke', audit('user.sessions-end', 'user', 'id'), manage, async (c) => {
      const user = await target(c.req.param('id'));
      const ended = await endUserSessions(db, user.id, `ended by admin ${c.get('user')!.username}`);
      c.get('log').info({ username: user.username, ended, by: c.get('user')!.username }, 'sessions ended');
      return c.json({ endedSessions: ended });
    })
    .post('/:id/unlock', audit('user.unlock', 'user', 'id'), manage, async (c) => {
      const user = await target(c.req.param('id'));
      await resetRate(db, `login:account:${user.username.toLowerCase()}`);
      c.get('log').info({ username: user.username, by: c.get('user')!.username }, 'sign-in lock lifted');
      return c.body(null, 204);
    });
}

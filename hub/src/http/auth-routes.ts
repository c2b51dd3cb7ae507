import { readJson } from '@gic/shared/http/request-context.js';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { verifyPassword } from '../auth/passwords.js';
import { signUserToken } from '../auth/session-tokens.js';
import { findUserByName } from '../auth/users-repo.js';
import type { Queryable } from '../db/database.js';
import type { HubEnv } from './hub-env.js';

export const loginSchema = z.object({
  username: z.string().min(1).max(100),
  password: z.string().min(1).max(1000),
});

/** `POST /login` -> `{ accessToken }`. */
export function authRoutes(db: Queryable, secret: Uint8Array) {
  return new Hono<HubEnv>().post('/login', async (c) => {
    const { username, password } = await readJson(c, loginSchema);
    const user = await findUserByName(db, username);
    // Same answer for an unknown user and a wrong password, so names cannot be probed.
    if (!user || !(await verifyPassword(password, user.password_hash))) {
      c.get('log').warn({ username }, 'login failed');
      throw new HTTPException(401, { message: 'invalid username or password' });
    }
    const accessToken = await signUserToken(secret, {
      userId: user.id,
      username: user.username,
      role: user.role,
    });
    return c.json({ accessToken, tokenType: 'Bearer', expiresIn: 8 * 3600, role: user.role });
  });
}

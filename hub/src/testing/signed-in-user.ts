/**
 * For tests that call routes in-process: a real user (created if absent) with a real session, as a
 * sign-in makes them, and its access token.
 */
import { hashPassword, randomPassword } from '../auth/passwords.js';
import type { UserRole } from '../auth/permissions.js';
import { startSession } from '../auth/session-service.js';
import { findUserByName, insertUserIfAbsent } from '../auth/users-repo.js';
import type { Database } from '../db/database.js';

export async function signedInUser(
  db: Database,
  secret: Uint8Array,
  username: string,
  role: UserRole,
): Promise<{ token: string; userId: string; sessionId: string }> {
  await insertUserIfAbsent(db, username, await hashPassword(randomPassword()), role);
  const user = (await findUserByName(db, username))!;
  const tokens = await startSession(db, secret, user, { address: 'test' });
  return { token: tokens.accessToken, userId: user.id, sessionId: tokens.sessionId };
}

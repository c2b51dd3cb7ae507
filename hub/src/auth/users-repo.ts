import type { Queryable } from '../db/database.js';
import type { UserRole } from './session-tokens.js';

export interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  role: UserRole;
}

/** Finds a user by name. */
export async function findUserByName(db: Queryable, username: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(
    'SELECT id, username, password_hash, role FROM users WHERE username = $1',
    [username],
  );
  return rows[0];
}

/** Creates a user unless one of that name exists; true when created. */
export async function insertUserIfAbsent(
  db: Queryable,
  username: string,
  passwordHash: string,
  role: UserRole,
) {
  const { rowCount } = await db.query(
    'INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3) ON CONFLICT (username) DO NOTHING',
    [username, passwordHash, role],
  );
  return rowCount === 1;
}

/** Replaces a user's password hash. */
export async function setUserPassword(db: Queryable, username: string, passwordHash: string): Promise<void> {
  await db.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE username = $1', [
    username,
    passwordHash,
  ]);
}

import type { Queryable } from '../db/database.js';
import type { UserRole } from './permissions.js';

export interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  role: UserRole;
  disabled_at: Date | null;
  must_change_password: boolean;
}

/** A user as the people page lists them (never the hash). */
export interface UserSummary {
  id: string;
  username: string;
  role: UserRole;
  /** The sites they see (auth/site-scope.ts: admins and auditors see every one). */
  sites: string[];
  disabled: boolean;
  mustChangePassword: boolean;
  createdAt: string;
  passwordChangedAt: string | null;
  openSessions: number;
}

const COLUMNS = 'id, username, password_hash, role, disabled_at, must_change_password';

/** Finds a user by name. */
export async function findUserByName(db: Queryable, username: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE username = $1`, [username]);
  return rows[0];
}

/** Finds a user by id. */
export async function findUserById(db: Queryable, id: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
  return rows[0];
}

/** Every user, by name, with their open sessions. */
export async function listUsers(db: Queryable): Promise<UserSummary[]> {
  const { rows } = await db.query<{
    id: string;
    username: string;
    role: UserRole;
    sites: string[];
    disabled_at: Date | null;
    must_change_password: boolean;
    created_at: Date;
    password_changed_at: Date | null;
    open_sessions: number;
  }>(
    `SELECT u.id, u.username, u.role, u.sites, u.disabled_at, u.must_change_password, u.created_at,
            u.password_changed_at,
            (SELECT count(*)::int FROM user_sessions s
             WHERE s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > now()) AS open_sessions
     FROM users u ORDER BY u.username`,
  );
  return rows.map((r) => ({
    id: r.id,
    username: r.username,
    role: r.role,
    sites: r.sites,
    disabled: r.disabled_at !== null,
    mustChangePassword: r.must_change_password,
    createdAt: r.created_at.toISOString(),
    passwordChangedAt: r.password_changed_at?.toISOString() ?? null,
    openSessions: r.open_sessions,
  }));
}

/** Creates a user unless one of that name exists; true when created. */
export async function insertUserIfAbsent(
  db: Queryable,
  username: string,
  passwordHash: string,
  role: UserRole,
  options: { mustChangePassword?: boolean; createdBy?: string; sites?: string[] } = {},
) {
  const { rowCount } = await db.query(
    `INSERT INTO users (username, password_hash, role, must_change_password, created_by, sites)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (username) DO NOTHING`,
    [
      username,
      passwordHash,
      role,
      options.mustChangePassword ?? false,
      options.createdBy ?? null,
      options.sites ?? [],
    ],
  );
  return rowCount === 1;
}

/** Replaces a user's password hash; `mustChange`: an admin set it, the user must choose their own. */
export async function setUserPassword(
  db: Queryable,
  username: string,
  passwordHash: string,
  mustChange = false,
): Promise<void> {
  await db.query(
    `UPDATE users SET password_hash = $2, must_change_password = $3, password_changed_at = now(),
       updated_at = now() WHERE username = $1`,
    [username, passwordHash, mustChange],
  );
}

/** Changes a user's role and/or sites (the whole set), and/or disables or enables them. */
export async function updateUser(
  db: Queryable,
  id: string,
  change: { role?: UserRole; disabled?: boolean; sites?: string[] },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE users SET role = coalesce($2, role),
       disabled_at = CASE WHEN $3::boolean IS NULL THEN disabled_at
                          WHEN $3 THEN coalesce(disabled_at, now()) ELSE NULL END,
       sites = coalesce($4::text[], sites),
       updated_at = now()
     WHERE id = $1`,
    [id, change.role ?? null, change.disabled ?? null, change.sites ?? null],
  );
  return rowCount === 1;
}

/** Enabled admins other than `except`: the last one may not be demoted or disabled. */
export async function otherEnabledAdmins(db: Queryable, except: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id <> $1",
    [except],
  );
  return rows[0]!.n;
}

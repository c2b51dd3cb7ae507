import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Queryable } from './database.js';

/** The role the running hub connects as (migration 013): no UPDATE, DELETE or TRUNCATE on audit_log. */
export const APP_ROLE = 'gic_app';

/**
 * The embedded PostgreSQL's password for the application role: generated once, kept (mode 0600) in
 * the hub's data folder like its other secrets.
 */
export function appRolePassword(file: string): string {
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{32,}$/.test(kept)) return kept;
  }
  const password = randomBytes(24).toString('hex');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/**
 * As the owner (after migrations): lets the application role sign in with `password` and returns the
 * URL to connect as it, `ownerUrl` with its user and password replaced.
 */
export async function enableAppLogin(owner: Queryable, ownerUrl: string, password: string): Promise<string> {
  // Hexadecimal only, so it may stand in the statement (ALTER ROLE takes no parameters).
  if (!/^[0-9a-f]+$/.test(password)) throw new Error('the application role password must be hexadecimal');
  await owner.query(`ALTER ROLE ${APP_ROLE} WITH LOGIN PASSWORD '${password}'`);
  const url = new URL(ownerUrl);
  url.username = APP_ROLE;
  url.password = password;
  return url.toString();
}

export interface AuditLogGuard {
  /** The role this connection acts as. */
  role: string;
  /** It cannot UPDATE, DELETE or TRUNCATE audit_log (the trigger refuses them as well). */
  appendOnly: boolean;
  note?: string;
}

/**
 * Checks, with has_table_privilege, that this connection's role cannot change the audit log; throws
 * when it cannot even write it (a role not granted gic_app).
 */
export async function checkAuditLogGuard(db: Queryable): Promise<AuditLogGuard> {
  const { rows } = await db.query<{ role: string; w: boolean; u: boolean; d: boolean; t: boolean }>(
    `SELECT current_user AS role,
            has_table_privilege('audit_log', 'SELECT') AND has_column_privilege('audit_log', 'action', 'INSERT')
              AND has_table_privilege('users', 'SELECT') AND has_table_privilege('users', 'UPDATE') AS w,
            has_table_privilege('audit_log', 'UPDATE') AS u,
            has_table_privilege('audit_log', 'DELETE') AS d,
            has_table_privilege('audit_log', 'TRUNCATE') AS t`,
  );
  const r = rows[0]!;
  if (!r.w)
    throw new Error(
      `the hub's database role ${r.role} lacks gic_app's privileges (it cannot write the audit log or the users table)`,
    );
  const can = [r.u && 'UPDATE', r.d && 'DELETE', r.t && 'TRUNCATE'].filter(Boolean);
  if (!can.length) return { role: r.role, appendOnly: true };
  return {
    role: r.role,
    appendOnly: false,
    note: `the hub's database role ${r.role} may ${can.join(', ')} audit_log (only a trigger refuses it): set DATABASE_APP_URL to a role granted gic_app (see README, Audit log)`,
  };
}

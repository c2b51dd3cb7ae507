import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@gic/shared/logging/logger.js';
import type { Queryable } from '../db/database.js';
import { hashPassword, randomPassword, verifyPassword } from './passwords.js';
import { findUserByName, insertUserIfAbsent, setUserPassword } from './users-repo.js';

export const ADMIN_USERNAME = 'admin';
/** Where a generated first password is kept (mode 0600) until the admin changes it. */
export const INITIAL_PASSWORD_FILE = 'initial-admin-password';

/**
 * Makes sure the bootstrap admin exists. With `password` given, the admin's password is set to it at
 * every start; without, a random one is generated once, logged once and written to the data folder.
 */
export async function ensureBootstrapAdmin(
  db: Queryable,
  dataDir: string,
  log: Logger,
  password?: string,
): Promise<{ username: string; created: boolean }> {
  const existing = await findUserByName(db, ADMIN_USERNAME);
  if (existing) {
    if (password && !(await verifyPassword(password, existing.password_hash))) {
      await setUserPassword(db, ADMIN_USERNAME, await hashPassword(password));
      log.info({ username: ADMIN_USERNAME }, 'admin password set from GIC_ADMIN_PASSWORD');
    }
    return { username: ADMIN_USERNAME, created: false };
  }
  const chosen = password ?? randomPassword();
  const created = await insertUserIfAbsent(db, ADMIN_USERNAME, await hashPassword(chosen), 'admin');
  if (created && !password) {
    const file = join(dataDir, INITIAL_PASSWORD_FILE);
    writeFileSync(file, `${chosen}\n`, { mode: 0o600 });
    // Printed once, on purpose: the operator needs it to sign in the first time.
    log.warn(
      { username: ADMIN_USERNAME, password: chosen, file },
      'created bootstrap admin with a random password',
    );
  }
  return { username: ADMIN_USERNAME, created };
}

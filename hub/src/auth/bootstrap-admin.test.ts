import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@gic/shared/logging/logger.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/test-database.js';
import type { Database } from '../db/database.js';
import { ensureBootstrapAdmin, INITIAL_PASSWORD_FILE } from './bootstrap-admin.js';
import { verifyPassword } from './passwords.js';
import { findUserByName } from './users-repo.js';

describe('ensureBootstrapAdmin', () => {
  let db: Database;
  const log = createLogger('test', 'silent');
  beforeAll(async () => {
    ({ db } = await createTestDatabase());
  });
  afterAll(() => db.end());

  it('creates the admin once with a random password kept in a private file, then applies GIC_ADMIN_PASSWORD', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gic-admin-'));
    expect(await ensureBootstrapAdmin(db, dir, log)).toEqual({ username: 'admin', created: true });
    const file = join(dir, INITIAL_PASSWORD_FILE);
    const password = readFileSync(file, 'utf8').trim();
    expect(password).toHaveLength(20);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const admin = await findUserByName(db, 'admin');
    expect(admin?.role).toBe('admin');
    expect(await verifyPassword(password, admin!.password_hash)).toBe(true);

    expect(await ensureBootstrapAdmin(db, dir, log)).toEqual({ username: 'admin', created: false });
    expect(await verifyPassword(password, (await findUserByName(db, 'admin'))!.password_hash)).toBe(true);

    await ensureBootstrapAdmin(db, dir, log, 'a-new-password-42');
    const changed = (await findUserByName(db, 'admin'))!.password_hash;
    expect(await verifyPassword('a-new-password-42', changed)).toBe(true);
    expect(await verifyPassword(password, changed)).toBe(false);
  });
});

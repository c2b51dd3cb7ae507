import { randomBytes } from 'node:crypto';
import { createDatabase, type Database } from '@gic/hub/db/database.js';
import { inject } from 'vitest';

/** A fresh, migrated database of its own for one test file, cloned from the run's template. */
export async function createTestDatabase(): Promise<{ db: Database; url: string }> {
  const templateUrl = inject('pgTemplateUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = createDatabase(templateUrl.replace(/\/gic_template$/, '/postgres'), 1);
  await admin.query(`CREATE DATABASE ${name} TEMPLATE gic_template`);
  await admin.end();
  const url = templateUrl.replace(/\/gic_template$/, `/${name}`);
  return { db: createDatabase(url), url };
}

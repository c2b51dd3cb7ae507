import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, type Database } from '@gic/hub/db/database.js';
import { inject } from 'vitest';
import { freePort } from './ports.js';

/**
 * As root, where hubs started by tests install PostgreSQL's binaries for the postgres user
 * (GIC_EMBEDDED_PG_SYSTEM_DIR): kept between runs in the temporary folder, not the hub's default.
 */
export const TEST_PG_SYSTEM_DIR = join(tmpdir(), 'gic-test-postgresql');

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

/**
 * The environment of a hub for one test file: a database of its own, its data under `dir/hub`, HTTP,
 * broker and embedded S3 on free loopback ports. Spread it into loadHubConfig with what the test changes.
 */
export async function testHubEnv(dir: string, adminPassword: string): Promise<Record<string, string>> {
  const { url, db } = await createTestDatabase();
  await db.end();
  return {
    DATABASE_URL: url,
    GIC_HUB_DATA_DIR: join(dir, 'hub'),
    GIC_HUB_PORT: String(await freePort()),
    GIC_MQTT_PORT: String(await freePort()),
    GIC_EMBEDDED_S3_PORT: String(await freePort()),
    GIC_ADMIN_PASSWORD: adminPassword,
  };
}

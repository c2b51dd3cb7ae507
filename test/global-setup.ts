import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase } from '@gic/hub/db/database.js';
import { migrate } from '@gic/hub/db/migrate.js';
import { startEmbeddedPostgres } from '@gic/hub/embedded/embedded-postgres.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import type { TestProject } from 'vitest/node';
import { freePort } from './ports.js';
import { TEST_PG_SYSTEM_DIR } from './test-database.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated database to clone per test file (see test/test-database.ts). */
    pgTemplateUrl: string;
    /** A folder for generated test clips, shared by the run's test files (see test/privacy-run.ts). */
    clipCacheDir: string;
  }
}

/** One embedded PostgreSQL for the whole run; each test file clones a migrated template from it. */
export default async function setup(project: TestProject) {
  // The browser tests load the bundled front ends from each process's dist/web: bundled fresh here
  // (esbuild, well under a second), so a run from sources never tests a stale page.
  // (scripts/run-tests.mjs bundles them once for both of its processes and says so.)
  if (process.env.GIC_TEST_WEB_BUILT !== '1')
    execFileSync(process.execPath, [join(import.meta.dirname, '..', 'scripts', 'build-web.mjs'), '--quiet'], {
      stdio: 'inherit',
    });
  const dir = mkdtempSync(join(tmpdir(), 'gic-test-pg-'));
  chmodSync(dir, 0o711); // as root the server runs as postgres, which keeps its data here then
  const pg = await startEmbeddedPostgres(
    { baseDir: join(dir, 'postgres'), port: await freePort(), systemDir: TEST_PG_SYSTEM_DIR },
    createLogger('test-pg', 'warn'),
  );
  const admin = createDatabase(pg.url);
  await admin.query('CREATE DATABASE gic_template');
  await admin.end();
  const templateUrl = pg.url.replace(/\/gic$/, '/gic_template');
  const template = createDatabase(templateUrl);
  await migrate(template);
  await template.end();
  project.provide('pgTemplateUrl', templateUrl);
  const clips = mkdtempSync(join(tmpdir(), 'gic-test-clips-'));
  chmodSync(clips, 0o711);
  project.provide('clipCacheDir', clips);
  return async () => {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(clips, { recursive: true, force: true });
  };
}

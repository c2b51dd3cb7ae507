import { randomUUID } from 'node:crypto';
import { statfs, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeviceCommand } from '@gic/shared/messages/commands.js';
import type { EdgeDatabase } from '../store/edge-database.js';

export interface SelfTestDeps {
  /** Models loaded (with version and execution provider) and those off, with why. */
  models: () => {
    loaded: { id: string; version: string; executionProvider: string }[];
    off: { id: string; reason: string }[];
  };
  /** The video source's state (`live` when frames come). */
  source: () => { state: string; message?: string };
  /** Where recordings and the store live. */
  dataDir: string;
  db: EdgeDatabase;
  /** Free bytes below which the box warns. */
  diskWarnFreeBytes: number;
}

/**
 * The box's self-test: each model's load state, the source running, free disk, the store writable (a
 * file written and removed, and SQLite's write lock taken), and the clock against the hub's (the
 * command's issue time, so transit time is included). `ok`: every check passed.
 */
export async function runSelfTest(
  deps: SelfTestDeps,
  command: DeviceCommand,
): Promise<Record<string, unknown>> {
  const checks: Record<string, { ok: boolean; [k: string]: unknown }> = {};
  const models = deps.models();
  checks.models = { ok: models.off.length === 0, loaded: models.loaded, off: models.off };
  const source = deps.source();
  checks.source = {
    ok: source.state === 'live',
    state: source.state,
    ...(source.message ? { message: source.message } : {}),
  };
  try {
    const s = await statfs(deps.dataDir);
    const freeBytes = s.bavail * s.bsize;
    checks.disk = {
      ok: freeBytes > deps.diskWarnFreeBytes,
      freeBytes,
      warnBelowBytes: deps.diskWarnFreeBytes,
    };
  } catch (err) {
    checks.disk = { ok: false, error: (err as Error).message };
  }
  const probe = join(deps.dataDir, `.self-test-${randomUUID()}`);
  try {
    await writeFile(probe, 'self-test');
    await unlink(probe);
    deps.db.exec('BEGIN IMMEDIATE; ROLLBACK');
    checks.store = { ok: true };
  } catch (err) {
    checks.store = { ok: false, error: (err as Error).message };
  }
  const now = Date.now();
  // Transit included: a box more than a minute off the hub's clock is worth a look.
  const aheadOfHubMs = now - Date.parse(command.issuedAt);
  checks.clock = { ok: Math.abs(aheadOfHubMs) < 60_000, now: new Date(now).toISOString(), aheadOfHubMs };
  return { ok: Object.values(checks).every((c) => c.ok), checks };
}

import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { purgeAuditLog } from '@gic/hub/audit/audit-retention.js';
import { loadHubConfig } from '@gic/hub/config.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, personToken } from './helpers.js';
import { freePort } from './ports.js';
import { TEST_PG_SYSTEM_DIR } from './test-database.js';

const PASSWORD = 'audit-admin-password';

/**
 * A hub on its embedded PostgreSQL: migrations as the owner, the running hub as gic_app, which
 * cannot change the audit log (the broker and ingest too); a patient-data request leaves one record that an auditor reads back.
 */
describe('the audit log of a hub on its embedded PostgreSQL', () => {
  let dir: string;
  let hub: RunningHub;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gic-audit-'));
    chmodSync(dir, 0o711);
    hub = await startHub(
      loadHubConfig({
        // Not the worker (it loads models): its retention job's purge is called below as it would run it.
        GIC_HUB_ROLES: 'api,broker,ingest',
        GIC_HUB_DATA_DIR: join(dir, 'hub'),
        GIC_HUB_PORT: String(await freePort()),
        GIC_MQTT_PORT: String(await freePort()),
        GIC_EMBEDDED_S3_PORT: String(await freePort()),
        GIC_EMBEDDED_PG_PORT: String(await freePort()),
        GIC_EMBEDDED_PG_SYSTEM_DIR: TEST_PG_SYSTEM_DIR,
        GIC_ADMIN_PASSWORD: PASSWORD,
      }),
      createLogger('test', 'silent'),
    );
  }, 60_000);
  afterAll(async () => {
    await hub?.stop();
    if (!dir) return;
    // As root the cluster lives outside the data folder; the pointer names it.
    const pointer = join(dir, 'hub/postgres/cluster');
    if (existsSync(pointer))
      rmSync(dirname(readFileSync(pointer, 'utf8').trim()), { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('runs as gic_app, reports the log append-only, and records a procedure read once', async () => {
    const ready = (await (await fetch(`${hub.httpUrl}/health/auditLog`)).json()) as Record<string, unknown>;
    expect(ready).toMatchObject({ ok: true, role: 'gic_app', appendOnly: true });
    expect(statSync(join(dir, 'hub', 'postgres-app-password')).mode & 0o777).toBe(0o600);
    await expect(hub.db.query('DELETE FROM audit_log')).rejects.toMatchObject({ code: '42501' });
    expect(await purgeAuditLog(hub.db, 2200)).toBe(0); // what the nightly retention job runs

    const auth = { authorization: `Bearer ${await adminToken(hub.httpUrl, PASSWORD)}` };
    const id = '3f1e2d3c-4b5a-4968-8776-655443322110';
    const res = await fetch(`${hub.httpUrl}/api/v1/procedures/${id}`, { headers: auth });
    expect(res.status).toBe(404);
    // The auditor reads it (not the admin: separation of duties).
    const auditor = await personToken(hub.httpUrl, auth.authorization.slice(7), 'audrey', 'auditor');
    const page = (await (
      await fetch(`${hub.httpUrl}/api/v1/audit?objectType=procedure&objectId=${id}`, {
        headers: { authorization: `Bearer ${auditor}` },
      })
    ).json()) as { entries: Record<string, unknown>[] };
    expect(page.entries).toEqual([
      expect.objectContaining({
        actorKind: 'user',
        actorName: 'admin',
        action: 'procedure.read',
        outcome: 'refused',
        address: '127.0.0.1',
      }),
    ]);
  });
});

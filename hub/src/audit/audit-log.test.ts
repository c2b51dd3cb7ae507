import { randomBytes } from 'node:crypto';
import { installErrorHandler, requestContext } from '@gic/shared/http/request-context.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/test-database.js';
import type { UserRole } from '../auth/permissions.js';
import { checkAuditLogGuard, enableAppLogin } from '../db/app-role.js';
import { createDatabase, type Database } from '../db/database.js';
import { auditRoutes } from '../http/audit-routes.js';
import { allow, type UserAuth } from '../http/auth-middleware.js';
import type { HubEnv } from '../http/hub-env.js';
import { signedInUser } from '../testing/signed-in-user.js';
import { audit, auditLog, auditObject, outcomeOf, writeAudit } from './audit-log.js';
import { purgeAuditLog } from './audit-retention.js';

const log = createLogger('test', 'silent');
const secret = new Uint8Array(randomBytes(32));

describe('audit log', () => {
  /** The tables' owner (what migrations run as). */
  let owner: Database;
  /** The running hub's connection: the gic_app role. */
  let app: Database;
  let http: Hono<HubEnv>;
  const auth = (): UserAuth => ({ db: app, secret, apiRate: null });

  const tokens = new Map<string, string>();
  /** A real user and session of `role` (made once). */
  const token = async (role: UserRole, username = `${role}-1`) => {
    if (!tokens.has(username))
      tokens.set(username, (await signedInUser(owner, secret, username, role)).token);
    return tokens.get(username)!;
  };
  const get = async (path: string, role?: UserRole, headers: Record<string, string> = {}) =>
    http.request(path, {
      headers: { ...headers, ...(role ? { authorization: `Bearer ${await token(role)}` } : {}) },
    });
  const count = async () => Number((await owner.query('SELECT count(*) AS n FROM audit_log')).rows[0].n);

  beforeAll(async () => {
    const made = await createTestDatabase();
    owner = made.db;
    app = createDatabase(await enableAppLogin(owner, made.url, randomBytes(16).toString('hex')), 4);
    http = new Hono<HubEnv>();
    http.use('*', requestContext(log));
    installErrorHandler(http);
    http.use('*', auditLog(app, { trustProxy: true }));
    http.get('/things/:id', audit('thing.read', 'thing', 'id'), allow(auth(), 'session.own'), (c) => {
      const id = c.req.param('id');
      if (id === 'missing') throw new HTTPException(404, { message: 'no such thing' });
      if (id === 'broken') throw new Error('boom');
      return c.json({ id });
    });
    http.get(
      '/nested/:id',
      audit('nest.outer', 'nest', 'id', (c) => c.req.param('id') !== 'skip'),
      (_c, next) => next(),
    );
    http.get('/nested/:id', audit('nest.inner', 'nest', 'id'), (c) => {
      auditObject(c, `made-${c.req.param('id')}`, { extra: 1 });
      return c.json({});
    });
    http.route('/api/v1', auditRoutes(app, auth()));
  });
  afterAll(async () => {
    await app?.end();
    await owner?.end();
  });

  it('maps statuses to outcomes', () => {
    expect([200, 204, 302, 400, 401, 403, 404, 409, 429, 500, 503].map(outcomeOf)).toEqual([
      'ok',
      'ok',
      'ok',
      'failed',
      'refused',
      'refused',
      'refused',
      'failed',
      'refused',
      'failed',
      'failed',
    ]);
  });

  it('writes exactly one record per request, with actor, object, outcome and address', async () => {
    const before = await count();
    const proxied = { 'x-forwarded-for': '203.0.113.9, 198.51.100.7' };
    expect((await get('/things/t1', 'reviewer', proxied)).status).toBe(200);
    expect((await get('/things/missing', 'reviewer')).status).toBe(404);
    expect((await get('/things/broken', 'trainee')).status).toBe(500);
    expect((await get('/things/t2')).status).toBe(401);
    expect(await count()).toBe(before + 4);
    const { rows } = await owner.query(
      `SELECT actor_kind, actor_name, actor_role, action, object_type, object_id, outcome, address, detail->>'status' AS status
         FROM audit_log WHERE action = 'thing.read' ORDER BY id`,
    );
    expect(rows).toEqual([
      {
        actor_kind: 'user',
        actor_name: 'reviewer-1',
        actor_role: 'reviewer',
        action: 'thing.read',
        object_type: 'thing',
        object_id: 't1',
        outcome: 'ok',
        address: '198.51.100.7',
        status: '200',
      },
      expect.objectContaining({ object_id: 'missing', outcome: 'refused', status: '404' }),
      expect.objectContaining({
        actor_role: 'trainee',
        object_id: 'broken',
        outcome: 'failed',
        status: '500',
      }),
      expect.objectContaining({
        actor_kind: 'anonymous',
        actor_name: null,
        outcome: 'refused',
        status: '401',
      }),
    ]);
  });

  it('records once however many declarations a request meets; a handler may name the object', async () => {
    expect((await get('/nested/n1')).status).toBe(200);
    expect((await get('/nested/skip')).status).toBe(200);
    const { rows } = await owner.query(
      "SELECT action, object_id, detail->>'extra' AS extra FROM audit_log WHERE object_type = 'nest' ORDER BY id",
    );
    expect(rows).toEqual([
      { action: 'nest.outer', object_id: 'made-n1', extra: '1' },
      { action: 'nest.inner', object_id: 'made-skip', extra: '1' },
    ]);
  });

  it('serves auditors filtered pages, newest first, and refuses other roles and bad filters', async () => {
    for (let i = 0; i < 5; i++)
      await writeAudit(app, {
        actorKind: 'device',
        actorId: 'dev-7',
        action: 'video.play',
        objectType: 'procedure',
        objectId: `p${i}`,
        outcome: 'ok',
      });
    const first = await get('/api/v1/audit?actor=dev-7&action=video.*&limit=2', 'auditor');
    expect(first.status).toBe(200);
    const page1 = (await first.json()) as { entries: { objectId: string }[]; nextCursor: string };
    expect(page1.entries.map((e) => e.objectId)).toEqual(['p4', 'p3']);
    const page2 = (await (
      await get(`/api/v1/audit?actor=dev-7&limit=2&cursor=${page1.nextCursor}`, 'auditor')
    ).json()) as { entries: { objectId: string }[]; nextCursor: string | null };
    expect(page2.entries.map((e) => e.objectId)).toEqual(['p2', 'p1']);
    const byObject = (await (
      await get('/api/v1/audit?objectType=procedure&objectId=p0', 'auditor')
    ).json()) as { entries: unknown[]; nextCursor: null };
    expect(byObject.entries).toHaveLength(1);
    expect(byObject.nextCursor).toBeNull();
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const none = (await (await get(`/api/v1/audit?from=${future}`, 'auditor')).json()) as { entries: [] };
    expect(none.entries).toEqual([]);

    expect((await get('/api/v1/audit', 'reviewer')).status).toBe(403);
    // Separation of duties: the admin acts, the auditor reads.
    expect((await get('/api/v1/audit', 'admin')).status).toBe(403);
    expect((await get('/api/v1/audit')).status).toBe(401);
    for (const [query, message] of [
      ['from=yesterday', 'from must be an ISO 8601 date-time'],
      ['limit=0', 'limit must be 1..500'],
      ['limit=9999', 'limit must be 1..500'],
      ['action=DROP%20TABLE', 'action must look like'],
      ['sort=at', 'unknown parameter sort'],
      ['from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'from must not be after to'],
    ]) {
      const res = await get(`/api/v1/audit?${query}`, 'auditor');
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { error: string }).error, query).toContain(message);
    }
    // Reading the log is recorded too: the refusals and the bad requests as well.
    const reads = await owner.query(
      "SELECT outcome, count(*)::int AS n FROM audit_log WHERE action = 'audit.read' GROUP BY outcome ORDER BY outcome",
    );
    const refusedBy = await owner.query(
      "SELECT actor_role FROM audit_log WHERE action = 'audit.read' AND outcome = 'refused' ORDER BY id",
    );
    expect(refusedBy.rows).toEqual([
      { actor_role: 'reviewer' },
      { actor_role: 'admin' },
      { actor_role: null },
    ]);
    expect(reads.rows).toEqual([
      { outcome: 'failed', n: 6 },
      { outcome: 'ok', n: 4 },
      { outcome: 'refused', n: 3 },
    ]);
  });

  it('exports CSV, quoted, with formulas defused', async () => {
    await writeAudit(app, {
      actorKind: 'user',
      actorName: '=HYPERLINK("http://evil.example","x")',
      action: 'export.download',
      objectType: 'video',
      objectId: '+1, "two"\nthree',
      outcome: 'ok',
      address: '@sum',
      detail: { note: '-2' },
    });
    const res = await get('/api/v1/audit.csv?action=export.download', 'auditor');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    const text = await res.text();
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(
      'id,at,actorKind,actorId,actorName,actorRole,action,objectType,objectId,outcome,address,detail',
    );
    expect(text).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(text).toContain(`"'+1, ""two""\nthree"`);
    expect(text).toContain(`,'@sum,`);
    expect(text).toContain(`"{""note"":""-2""}"`);
    expect(text.endsWith('\r\n')).toBe(true);
    expect((await get('/api/v1/audit.csv?to=soon', 'auditor')).status).toBe(400);
    expect((await get('/api/v1/audit.csv', 'trainee')).status).toBe(403);
  });

  it('streams every matching record however many pages they take', async () => {
    await owner.query(
      `INSERT INTO audit_log (actor_kind, action, object_type, object_id, outcome)
       SELECT 'service', 'bulk.write', 'n', g::text, 'ok' FROM generate_series(1, 2500) g`,
    );
    const text = await (await get('/api/v1/audit.csv?action=bulk.write', 'auditor')).text();
    const rows = text.trimEnd().split('\r\n').slice(1);
    expect(rows).toHaveLength(2500);
    expect(new Set(rows.map((r) => r.split(',')[8])).size).toBe(2500);
  });

  it("cannot be changed or deleted through the hub's connection; the trigger refuses the owner too", async () => {
    expect(await checkAuditLogGuard(app)).toEqual({ role: 'gic_app', appendOnly: true });
    expect((await checkAuditLogGuard(owner)).appendOnly).toBe(false);
    const stranger = `gic_stranger_${randomBytes(4).toString('hex')}`;
    await owner.query(`CREATE ROLE ${stranger}`);
    try {
      const client = await owner.connect();
      try {
        await client.query(`SET ROLE ${stranger}`);
        await expect(checkAuditLogGuard(client)).rejects.toThrow(/lacks gic_app's privileges/);
      } finally {
        await client.query('RESET ROLE');
        client.release();
      }
    } finally {
      await owner.query(`DROP ROLE ${stranger}`);
    }
    const n = await count();
    for (const sql of [
      "UPDATE audit_log SET outcome = 'ok'",
      'DELETE FROM audit_log',
      'TRUNCATE audit_log',
      "INSERT INTO audit_log (at, actor_kind, action, outcome) VALUES (now() - interval '9 years', 'user', 'x.y', 'ok')",
      "SELECT setval('audit_log_id_seq', 1)",
    ])
      await expect(app.query(sql), sql).rejects.toMatchObject({ code: '42501' });
    for (const sql of ["UPDATE audit_log SET outcome = 'ok'", 'DELETE FROM audit_log', 'TRUNCATE audit_log'])
      await expect(owner.query(sql), sql).rejects.toThrow(/append-only/);
    // Setting the purge flag by hand does not open recent records to deletion either.
    await expect(
      owner.query("SELECT set_config('gic.audit_purge', 'on', false); DELETE FROM audit_log"),
    ).rejects.toThrow(/append-only/);
    expect(await count()).toBe(n);
  });

  it('purges only the records older than the retention policy, never under a year', async () => {
    await owner.query(
      `INSERT INTO audit_log (at, actor_kind, action, outcome)
       VALUES (now() - interval '800 days', 'user', 'old.read', 'ok'),
              (now() - interval '400 days', 'user', 'old.read', 'ok'),
              (now() - interval '10 days', 'user', 'old.read', 'ok')`,
    );
    const n = await count();
    await expect(purgeAuditLog(app, 100)).rejects.toThrow(/below the minimum/);
    expect(await purgeAuditLog(app, 2200)).toBe(0);
    expect(await purgeAuditLog(app, 500)).toBe(1);
    expect(await purgeAuditLog(app, 365)).toBe(1);
    expect(await count()).toBe(n - 2);
    const left = await owner.query("SELECT count(*)::int AS n FROM audit_log WHERE action = 'old.read'");
    expect(left.rows[0].n).toBe(1);
  });
});

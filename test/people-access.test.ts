/**
 * People at the hub, as a security review would try them over HTTP against a hub started as a user
 * starts it: every route that needs a person walked with every role (allowed or 403, never 401 or 500
 * for a valid session), forged and wrong tokens, refresh-token rotation and reuse, sign-out, an admin
 * ending sessions, disabling and password resets, sign-in throttling per account and per address,
 * and the API, upload and export rate limits (429 with Retry-After).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PERMISSIONS, type Permission, ROLES, type UserRole } from '@gic/hub/auth/permissions.js';
import { signServiceToken, signUserToken } from '@gic/hub/auth/session-tokens.js';
import { loadHubConfig } from '@gic/hub/config.js';
import { createDatabase, type Database } from '@gic/hub/db/database.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import { HUB_ROUTES } from '@gic/hub/openapi/hub-routes.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workDir } from './privacy-run.js';
import { testHubEnv } from './test-database.js';

const ADMIN_PASSWORD = 'people-access-admin-pw';
const NEW_PASSWORD = 'Tidal-Orchid-4-Lantern';

interface Tokens {
  accessToken: string;
  refreshToken: string;
  mustChangePassword: boolean;
  sessionId: string;
}

describe('people: roles, sessions, throttling and limits', () => {
  const dir = workDir('people-access');
  let hub: RunningHub;
  let db: Database;
  let secret: Uint8Array;
  let admin: Tokens;

  const call = async (token: string | null, method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${hub.httpUrl}${path}`, {
      method: method.toUpperCase(),
      headers,
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON (an event stream, say)
    }
    return { status: res.status, body: json, retryAfter: res.headers.get('retry-after') };
  };
  /**
   * The limits count in fixed windows aligned to the epoch: a check that crosses a window's end would
   * see its count start again. Within `marginS` of the end, wait for the next window.
   */
  const awayFromWindowEnd = async (windowSeconds: number, marginS = 10) => {
    const left = windowSeconds - ((Date.now() / 1000) % windowSeconds);
    if (left < marginS) await new Promise((r) => setTimeout(r, left * 1000 + 200));
  };
  const login = async (username: string, password: string) =>
    call(null, 'post', '/api/v1/auth/login', { username, password });
  const signIn = async (username: string, password: string): Promise<Tokens> => {
    const res = await login(username, password);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as unknown as Tokens;
  };
  /** A person of `role` created by the admin, signed in, their first password changed. */
  const person = async (username: string, role: UserRole): Promise<Tokens> => {
    // One site: what they upload or enrol goes there (people-sites.test.ts walks the sites).
    const created = await call(admin.accessToken, 'post', '/api/v1/users', {
      username,
      role,
      sites: ['main'],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const first = await signIn(username, created.body.temporaryPassword as string);
    expect(first.mustChangePassword).toBe(true);
    // Until the password is changed, nothing but one's own session is allowed.
    const before = await call(first.accessToken, 'get', '/api/v1/auth/me');
    expect(before.status).toBe(200);
    const changed = await call(first.accessToken, 'post', '/api/v1/auth/password', {
      currentPassword: created.body.temporaryPassword,
      newPassword: NEW_PASSWORD,
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    // The first session ended with the change.
    expect((await call(first.accessToken, 'get', '/api/v1/auth/me')).status).toBe(401);
    return changed.body as unknown as Tokens;
  };

  beforeAll(async () => {
    const env = await testHubEnv(dir, ADMIN_PASSWORD);
    hub = await startHub(
      loadHubConfig({ ...env, GIC_HUB_ROLES: 'api' }),
      createLogger('people-access', 'warn'),
    );
    db = createDatabase(env.DATABASE_URL!, 2);
    const { rows } = await db.query<{ value: string }>(
      "SELECT value FROM hub_settings WHERE key = 'jwt_secret'",
    );
    secret = new Uint8Array(Buffer.from(rows[0]!.value, 'base64'));
    admin = await signIn('admin', ADMIN_PASSWORD);
  }, 120_000);
  afterAll(async () => {
    await db?.end();
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('walks every route that needs a person with every role: allowed, or refused with 403', async () => {
    const tokens = new Map<UserRole, string>();
    for (const role of ROLES)
      tokens.set(role, role === 'admin' ? admin.accessToken : (await person(`m-${role}`, role)).accessToken);
    const guarded = HUB_ROUTES.filter((r) => Object.hasOwn(PERMISSIONS, r.auth));
    // Signing out ends the session: last.
    guarded.sort((a, b) => Number(a.path.endsWith('/logout')) - Number(b.path.endsWith('/logout')));
    const wrong: string[] = [];
    let allowed = 0;
    let refused = 0;
    for (const route of guarded) {
      const path = route.path.replace(/\{(\w+)\}/g, (_m, name: string) =>
        name === 'queue' ? 'no-such-queue' : randomUUID(),
      );
      for (const role of ROLES) {
        const may = (PERMISSIONS[route.auth as Permission] as readonly UserRole[]).includes(role);
        const res = await call(tokens.get(role)!, route.method, path, route.body ? {} : undefined);
        const ok = may ? res.status !== 401 && res.status !== 403 && res.status < 500 : res.status === 403;
        if (may) allowed++;
        else refused++;
        if (!ok)
          wrong.push(`${role} ${route.method} ${route.path}: ${res.status} ${JSON.stringify(res.body)}`);
      }
      // Without a token: 401.
      const anonymous = await call(null, route.method, path, route.body ? {} : undefined);
      if (anonymous.status !== 401)
        wrong.push(`anonymous ${route.method} ${route.path}: ${anonymous.status}`);
    }
    console.info(
      `permission matrix: ${guarded.length} routes x ${ROLES.length} roles = ${guarded.length * ROLES.length} calls (${allowed} allowed, ${refused} refused with 403) + ${guarded.length} without a token; wrong: ${wrong.length}`,
    );
    expect(wrong).toEqual([]);
    // The walk signed every role out last, the admin too.
    admin = await signIn('admin', ADMIN_PASSWORD);
  }, 120_000);

  it('refuses forged, expired, unsigned, other-key and wrong-type tokens, and tokens of ended sessions', async () => {
    const me = await person('t-tokens', 'reviewer');
    const { sessionId } = me;
    const user = (await call(me.accessToken, 'get', '/api/v1/auth/me')).body;
    const userId = (await db.query<{ id: string }>("SELECT id FROM users WHERE username = 't-tokens'"))
      .rows[0]!.id;
    const claims = { userId, username: 't-tokens', role: 'reviewer' as const, sessionId };
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      sub: userId,
      username: 't-tokens',
      role: 'admin',
      sid: sessionId,
      iss: 'gic-hub',
      aud: 'gic-hub-user',
      iat: now,
      exp: now + 600,
    };
    const forged: Record<string, string> = {
      garbage: 'not.a.token',
      'alg none': `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(payload)}.`,
      'other key': await signUserToken(new Uint8Array(32).fill(7), claims),
      expired: await new SignJWT({ username: 't-tokens', role: 'reviewer', sid: sessionId })
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
        .setSubject(userId)
        .setIssuer('gic-hub')
        .setAudience('gic-hub-user')
        .setIssuedAt(now - 3600)
        .setExpirationTime(now - 60)
        .sign(secret),
      'wrong type (a service token)': await signServiceToken(secret, 'ingest'),
      'wrong type (no typ)': await new SignJWT({ username: 't-tokens', role: 'reviewer', sid: sessionId })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(userId)
        .setIssuer('gic-hub')
        .setAudience('gic-hub-user')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(secret),
      'unknown session': await signUserToken(secret, { ...claims, sessionId: randomUUID() }),
    };
    // The role claim is not trusted: the database's role applies (a reviewer cannot manage people).
    const elevated = await signUserToken(secret, { ...claims, role: 'admin' });
    expect((await call(elevated, 'get', '/api/v1/users')).status).toBe(403);
    expect(user.role).toBe('reviewer');
    for (const [what, token] of Object.entries(forged)) {
      const res = await call(token, 'get', '/api/v1/procedures');
      expect(res.status, what).toBe(401);
    }
    console.info(`tokens refused with 401: ${Object.keys(forged).join(', ')}`);
  });

  it('rotates refresh tokens; a reused one ends the whole session; signing out ends it too', async () => {
    await person('t-refresh', 'reviewer');
    const first = await signIn('t-refresh', NEW_PASSWORD);
    const second = await call(null, 'post', '/api/v1/auth/refresh', { refreshToken: first.refreshToken });
    expect(second.status).toBe(200);
    const rotated = second.body as unknown as Tokens;
    expect(rotated.refreshToken).not.toBe(first.refreshToken);
    expect(rotated.sessionId).toBe(first.sessionId);
    expect((await call(rotated.accessToken, 'get', '/api/v1/auth/me')).status).toBe(200);
    // The old refresh token again: it was copied; the session (every token of it) ends.
    expect(
      (await call(null, 'post', '/api/v1/auth/refresh', { refreshToken: first.refreshToken })).status,
    ).toBe(401);
    expect((await call(rotated.accessToken, 'get', '/api/v1/auth/me')).status).toBe(401);
    expect(
      (await call(null, 'post', '/api/v1/auth/refresh', { refreshToken: rotated.refreshToken })).status,
    ).toBe(401);
    const { rows } = await db.query<{ revoked_reason: string }>(
      'SELECT revoked_reason FROM user_sessions WHERE id = $1',
      [first.sessionId],
    );
    expect(rows[0]!.revoked_reason).toBe('refresh token reused');
    // Refresh tokens are stored hashed, never as given.
    const stored = await db.query('SELECT 1 FROM refresh_tokens WHERE token_hash = $1', [
      rotated.refreshToken,
    ]);
    expect(stored.rowCount).toBe(0);

    const again = await signIn('t-refresh', NEW_PASSWORD);
    expect((await call(again.accessToken, 'post', '/api/v1/auth/logout')).status).toBe(204);
    expect((await call(again.accessToken, 'get', '/api/v1/auth/me')).status).toBe(401);
    expect(
      (await call(null, 'post', '/api/v1/auth/refresh', { refreshToken: again.refreshToken })).status,
    ).toBe(401);
  });

  it('lets an admin end all of a user’s sessions, disable them, and reset their password', async () => {
    await person('t-admin', 'trainee');
    const a = await signIn('t-admin', NEW_PASSWORD);
    const b = await signIn('t-admin', NEW_PASSWORD);
    const users = (await call(admin.accessToken, 'get', '/api/v1/users')).body.items as {
      id: string;
      username: string;
      openSessions: number;
    }[];
    const target = users.find((u) => u.username === 't-admin')!;
    // Two sign-ins, and the session the password change opened.
    expect(target.openSessions).toBe(3);
    const revoked = await call(admin.accessToken, 'post', `/api/v1/users/${target.id}/sessions/revoke`);
    expect(revoked.body.endedSessions).toBe(3);
    for (const t of [a, b]) expect((await call(t.accessToken, 'get', '/api/v1/auth/me')).status).toBe(401);

    const c = await signIn('t-admin', NEW_PASSWORD);
    expect(
      (await call(admin.accessToken, 'patch', `/api/v1/users/${target.id}`, { disabled: true })).status,
    ).toBe(200);
    expect((await call(c.accessToken, 'get', '/api/v1/auth/me')).status).toBe(401);
    expect((await login('t-admin', NEW_PASSWORD)).status).toBe(403);
    await call(admin.accessToken, 'patch', `/api/v1/users/${target.id}`, { disabled: false });

    const reset = await call(admin.accessToken, 'post', `/api/v1/users/${target.id}/password-reset`);
    expect(reset.status).toBe(200);
    expect((await login('t-admin', NEW_PASSWORD)).status).toBe(401);
    const temp = await signIn('t-admin', reset.body.temporaryPassword as string);
    expect(temp.mustChangePassword).toBe(true);
    const blocked = await call(temp.accessToken, 'get', '/api/v1/procedures');
    expect(blocked.status).toBe(403);
    expect(blocked.body.error).toMatch(/change your password/);
    const weak = await call(temp.accessToken, 'post', '/api/v1/auth/password', {
      currentPassword: reset.body.temporaryPassword,
      newPassword: 'password1234',
    });
    expect(weak.status).toBe(400);

    // The last enabled admin can be neither demoted nor disabled.
    const self = users.find((u) => u.username === 'admin')!;
    expect(
      (await call(admin.accessToken, 'patch', `/api/v1/users/${self.id}`, { role: 'reviewer' })).status,
    ).toBe(409);
    // Bad input: a clear 400, never a 500.
    for (const body of ['{', { username: 'x y', role: 'admin' }, { username: 'ok', role: 'root' }]) {
      const res = await call(admin.accessToken, 'post', '/api/v1/users', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect(
      (await call(admin.accessToken, 'patch', '/api/v1/users/../../etc', { disabled: true })).status,
    ).toBe(404);
  });

  it('throttles sign-in per account (even the right password), reports the lock, and lets an admin lift it', async () => {
    await person('t-locked', 'reviewer');
    await awayFromWindowEnd(15 * 60);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await login('t-locked', `wrong-${i}-password`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const right = await login('t-locked', NEW_PASSWORD);
    expect(right.status).toBe(429);
    expect(Number(right.retryAfter)).toBeGreaterThan(0);
    const users = (await call(admin.accessToken, 'get', '/api/v1/users')).body.items as {
      id: string;
      username: string;
      lockedForSeconds: number | null;
    }[];
    const locked = users.find((u) => u.username === 't-locked')!;
    expect(locked.lockedForSeconds).toBeGreaterThan(0);
    expect((await call(admin.accessToken, 'post', `/api/v1/users/${locked.id}/unlock`)).status).toBe(204);
    expect((await login('t-locked', NEW_PASSWORD)).status).toBe(200);
    console.info(`sign-in: 5 failures, then 429 with Retry-After ${right.retryAfter} s`);
  });

  it('limits API calls per user and minute, uploads per day and exports per hour: 429 with Retry-After', async () => {
    const me = await person('t-rate', 'reviewer');
    await awayFromWindowEnd(60, 15);
    let status = 0;
    let calls = 0;
    let retryAfter: string | null = null;
    while (status !== 429 && calls < 200) {
      const res = await call(me.accessToken, 'get', '/api/v1/auth/me');
      status = res.status;
      retryAfter = res.retryAfter;
      calls++;
    }
    // The person's earlier calls this minute (sign-in needs none; the password change one) count too.
    expect(calls).toBeGreaterThanOrEqual(99);
    expect(calls).toBeLessThanOrEqual(101);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    console.info(`API: 429 after ${calls} calls in a minute, Retry-After ${retryAfter} s`);

    const uploader = await person('t-uploads', 'reviewer');
    const uploads: number[] = [];
    for (let i = 0; i < 11; i++)
      uploads.push(
        (await call(uploader.accessToken, 'post', '/api/v1/videos/upload/sessions', { bytes: 1_000_000 }))
          .status,
      );
    expect(uploads.slice(0, 10).every((s) => s === 201)).toBe(true);
    expect(uploads[10]).toBe(429);
    const exporter = await person('t-exports', 'reviewer');
    // A room's procedure to export; the requests the route refuses (an unknown video) are not counted.
    const procedureId = randomUUID();
    await db.query(
      `INSERT INTO devices (id, name, public_jwk, site) VALUES ('edge-rate1', 'Rate room', '{}'::jsonb, 'main');
       INSERT INTO procedures (id, device_id, started_at, ended_at)
       VALUES ('${procedureId}', 'edge-rate1', now() - interval '10 minutes', now());`,
    );
    await awayFromWindowEnd(3600);
    const exports: number[] = [];
    const exportOf = async (id: string) =>
      exports.push((await call(exporter.accessToken, 'post', `/api/v1/videos/${id}/export`)).status);
    for (let i = 0; i < 3; i++) await exportOf(randomUUID());
    for (let i = 0; i < 6; i++) await exportOf(procedureId);
    expect(exports).toEqual([404, 404, 404, 202, 202, 202, 202, 202, 429]);
  });

  it('answers SQL in filters, traversal in ids and oversized or malformed bodies with 4xx, leaking nothing', async () => {
    const me = await person('t-input', 'reviewer');
    const baseline = (await call(me.accessToken, 'get', '/api/v1/procedures')).body.total;
    const probes: [string, string, unknown, number[]][] = [
      ['get', `/api/v1/procedures?q=${encodeURIComponent("' OR 1=1 --")}`, undefined, [200]],
      ['get', `/api/v1/procedures?device=${encodeURIComponent("x' OR 'a'='a")}`, undefined, [200]],
      ['get', '/api/v1/procedures?limit=1;DROP TABLE users', undefined, [400]],
      ['get', '/api/v1/procedures/..%2F..%2Fetc%2Fpasswd', undefined, [400, 404]],
      ['get', '/api/v1/videos/..%2F..%2Fetc%2Fpasswd/export', undefined, [404]],
      ['get', `/api/v1/chat/${encodeURIComponent("1' OR '1'='1")}`, undefined, [400, 404]],
      ['post', '/api/v1/chat/message', '{"text": ', [400]],
      ['post', '/api/v1/auth/password', [], [400]],
    ];
    const wrong: string[] = [];
    for (const [method, path, body, allowed] of probes) {
      const res = await call(me.accessToken, method, path, body);
      if (!allowed.includes(res.status))
        wrong.push(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      if (res.status === 200 && 'total' in res.body && res.body.total !== 0 && res.body.total !== baseline)
        wrong.push(`${path} leaked: total ${res.body.total}`);
    }
    expect(wrong).toEqual([]);
    // A body over 1 MiB: refused at once with 413 (curl reads the answer while still sending; the hub
    // closes the connection rather than read the rest).
    const big = join(dir, 'big.json');
    writeFileSync(big, JSON.stringify({ text: 'x'.repeat(2 * 1024 * 1024) }));
    // Asynchronously: the hub runs in this process.
    const { stdout: code } = await promisify(execFile)('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '-H',
      `authorization: Bearer ${me.accessToken}`,
      '-H',
      'content-type: application/json',
      '--data-binary',
      `@${big}`,
      `${hub.httpUrl}/api/v1/chat/message`,
    ]);
    expect(code).toBe('413');
    // The users table is still there, and the login name too long for the schema is a 400, not a 500.
    expect((await login('x'.repeat(500), 'whatever-password')).status).toBe(400);
    expect((await call(admin.accessToken, 'get', '/api/v1/users')).status).toBe(200);
  });

  it('throttles sign-in per address across accounts (last: it refuses this test’s address)', async () => {
    await awayFromWindowEnd(15 * 60);
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await login(`nobody-${i}`, 'wrong-password-x')).status);
    // This address's earlier failures in this file count too: 401s, then only 429s.
    const first429 = statuses.indexOf(429);
    expect(first429).toBeGreaterThan(0);
    expect(statuses.slice(0, first429).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(first429).every((s) => s === 429)).toBe(true);
  });
});

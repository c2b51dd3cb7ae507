/**
 * Sites at the hub, as a security review would try them over HTTP against a hub started as a user
 * starts it: objects in site A, in site B and in none; people of every role given A, B, both or none;
 * every route that needs a person walked by each of them with objects of each site. A person sees
 * what is in their sites; what is not answers exactly as a missing object does (404), and appears in
 * no list, total or search count.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { PERMISSIONS, type Permission, ROLES, type UserRole } from '@gic/hub/auth/permissions.js';
import { startSession } from '@gic/hub/auth/session-service.js';
import { loadHubConfig } from '@gic/hub/config.js';
import { createDatabase, type Database } from '@gic/hub/db/database.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import { HUB_ROUTES, type RouteDoc } from '@gic/hub/openapi/hub-routes.js';
import { insertUploadedVideo } from '@gic/hub/videos/videos-repo.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workDir } from './privacy-run.js';
import { testHubEnv } from './test-database.js';

const ADMIN_PASSWORD = 'people-sites-admin-pw';
const SITE_SETS: string[][] = [['A'], ['B'], ['A', 'B'], []];
/** Who sees every site (auth/site-scope.ts). */
const UNSCOPED: readonly UserRole[] = ['admin', 'auditor'];

interface Person {
  username: string;
  role: UserRole;
  sites: string[];
  token: string;
}
interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** The objects each route's parameter is walked with: one in site A, one in B, one that does not exist. */
type Site = 'A' | 'B' | null;

describe('people: sites and rooms', () => {
  const dir = workDir('people-sites');
  let hub: RunningHub;
  let db: Database;
  let adminToken: string;
  let secret: Uint8Array;
  const people: Person[] = [];
  const ids = {
    device: { A: 'dev-site-a', B: 'dev-site-b', none: 'dev-site-none' },
    procedure: { A: randomUUID(), B: randomUUID(), none: randomUUID() },
    upload: { A: randomUUID(), B: randomUUID() },
    session: { A: randomUUID(), B: randomUUID(), roomA: randomUUID(), roomB: randomUUID() },
  };

  const call = async (
    token: string | null,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const abort = new AbortController();
    const res = await fetch(`${hub.httpUrl}${path}`, {
      method: method.toUpperCase(),
      headers,
      signal: abort.signal,
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
      // A live status stream never ends: its status is the answer.
      abort.abort();
      return { status: res.status, body: {} };
    }
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
    } catch {
      return { status: res.status, body: {} };
    }
  };
  const ok = (res: Answer, status = 200) => {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    return res.body;
  };
  const sees = (p: Person, site: Site) =>
    UNSCOPED.includes(p.role) || (site !== null && p.sites.includes(site));
  const may = (p: Person, permission: Permission) =>
    (PERMISSIONS[permission] as readonly UserRole[]).includes(p.role);

  /**
   * A person of `role` (made unless the admin made them), given `sites` through the people API, and
   * a session of theirs as signing in opens one.
   */
  const signedIn = async (username: string, role: UserRole, sites: string[]): Promise<Person> => {
    await db.query(
      `INSERT INTO users (username, password_hash, role) VALUES ($1, 'signs in by session only', $2)
       ON CONFLICT (username) DO NOTHING`,
      [username, role],
    );
    const user = (
      await db.query<{ id: string; username: string; role: UserRole; must_change_password: boolean }>(
        'SELECT id, username, role, false AS must_change_password FROM users WHERE username = $1',
        [username],
      )
    ).rows[0]!;
    expect(ok(await call(adminToken, 'patch', `/api/v1/users/${user.id}`, { sites })).sites).toEqual(sites);
    const { accessToken } = await startSession(db, secret, user, { address: 'test' });
    return { username, role, sites, token: accessToken };
  };

  beforeAll(async () => {
    const env = await testHubEnv(dir, ADMIN_PASSWORD);
    // The walk makes hundreds of calls a person: the rate limits (people-access.test.ts) stay out of it.
    hub = await startHub(
      loadHubConfig({
        ...env,
        GIC_HUB_ROLES: 'api',
        GIC_RATE_API_PER_MINUTE: '0',
        GIC_RATE_UPLOADS_PER_DAY: '0',
        GIC_RATE_EXPORTS_PER_HOUR: '0',
      }),
      createLogger('people-sites', 'warn'),
    );
    db = createDatabase(env.DATABASE_URL!, 2);
    for (const [key, site] of [
      ['A', 'A'],
      ['B', 'B'],
      ['none', null],
    ] as const) {
      await db.query(
        "INSERT INTO devices (id, name, public_jwk, site, room) VALUES ($1, $2, '{}', $3, 'Endo 1')",
        [ids.device[key], `Scope ${key}`, site],
      );
      await db.query('INSERT INTO procedures (id, device_id, started_at) VALUES ($1, $2, now())', [
        ids.procedure[key],
        ids.device[key],
      ]);
    }
    for (const site of ['A', 'B'] as const)
      await insertUploadedVideo(db, {
        procedureId: ids.upload[site],
        rawKey: `uploads/raw/${ids.upload[site]}`,
        facts: { durationMs: 5000, width: 320, height: 240, fps: 25 },
        bytes: 1000,
        sha256: 'a'.repeat(64),
        createdBy: 'someone',
        site,
      });
    // Each site's procedure has a review chat session and a room's conversation (the one searched).
    for (const site of ['A', 'B'] as const) {
      await db.query(
        `INSERT INTO review_chat_messages (message_id, session_id, procedure_id, role, text, by)
         VALUES ($1, $2, $3, 'user', 'asked at the hub', 'someone')`,
        [randomUUID(), ids.session[site], ids.procedure[site]],
      );
      await db.query(
        `INSERT INTO chat_messages (device_id, message_id, event_id, session_id, procedure_id, role, text, at)
         VALUES ($1, $2, $3, $4, $5, 'user', $6, now())`,
        [
          ids.device[site],
          randomUUID(),
          randomUUID(),
          ids.session[site === 'A' ? 'roomA' : 'roomB'],
          ids.procedure[site],
          `secret-of-site-${site}`,
        ],
      );
    }
    adminToken = ok(
      await call(null, 'post', '/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD }),
    ).accessToken as string;
    const started = Date.now();
    const { rows } = await db.query<{ value: string }>(
      "SELECT value FROM hub_settings WHERE key = 'jwt_secret'",
    );
    secret = new Uint8Array(Buffer.from(rows[0]!.value, 'base64'));
    // One person made by the admin with their sites, the others given theirs by a change; each then
    // signed in directly, as a sign-in does (a password's hashing takes a second: the walk needs none).
    const made = ok(
      await call(adminToken, 'post', '/api/v1/users', {
        username: 's-reviewer-AB',
        role: 'reviewer',
        sites: ['B', 'A'],
      }),
      201,
    );
    expect((made.user as { sites: string[] }).sites).toEqual(['A', 'B']);
    for (const role of ROLES)
      for (const sites of SITE_SETS)
        people.push(await signedIn(`s-${role}-${sites.join('') || 'none'}`, role, sites));
    console.info(`${people.length} people made in ${Date.now() - started} ms`);
  }, 120_000);
  afterAll(async () => {
    await db?.end();
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The object a route's parameter is walked with, for one site (null: an object that does not exist). */
  const objectFor = (route: RouteDoc, name: string, site: Site): string => {
    if (route.path.startsWith('/api/v1/devices/')) return site ? ids.device[site] : 'dev-missing';
    if (route.path.startsWith('/api/v1/videos/{id}')) return site ? ids.upload[site] : randomUUID();
    if (name === 'sessionId') return site ? ids.session[site] : randomUUID();
    if (name === 'id' || name === 'procedureId') return site ? ids.procedure[site] : randomUUID();
    return randomUUID();
  };
  /** Routes whose object has a site: walked with A, B and a missing one. */
  const SITED =
    /^\/api\/v1\/(procedures\/\{id\}|videos\/\{id\}|chat\/\{sessionId\}|chat\/procedures|devices\/\{id\}|chat\/message)/;
  const bodyFor = (route: RouteDoc, site: Site): unknown => {
    if (route.path === '/api/v1/chat/message')
      return { procedureId: site ? ids.procedure[site] : randomUUID(), text: 'where is the cecum?' };
    if (route.path === '/api/v1/devices/{id}') return { room: 'Endo 1' };
    if (route.path.startsWith('/api/v1/retention/holds/')) return { hold: false };
    return route.body ? {} : undefined;
  };
  const request = (p: Person, route: RouteDoc, site: Site) => {
    const path = route.path.replace(/\{(\w+)\}/g, (_m, name: string) =>
      name === 'queue' ? 'no-such-queue' : objectFor(route, name, site),
    );
    return { path, answer: call(p.token, route.method, path, bodyFor(route, site)) };
  };
  /** Routes that make something in the maker's site (when the request is otherwise valid). */
  const MAKES = [
    '/api/v1/devices/enrolment-tokens',
    '/api/v1/videos/upload',
    '/api/v1/videos/upload/sessions',
  ];
  /**
   * Where a role's own rules (auth/trainee-view.ts) may hide an object of one's site as if it were
   * missing: the walk checks only that other sites' look missing there.
   */
  const ROLE_LIMITED = (p: Person, route: RouteDoc) =>
    p.role === 'trainee' && route.path === '/api/v1/chat/{sessionId}';
  /** The lists of sited things (the next test checks what they hold). */
  const LISTS = ['/api/v1/procedures', '/api/v1/devices'];
  /** An error as said of any object: the ids in it made alike. */
  const said = (a: Answer) =>
    `${a.status} ${String(a.body.error ?? '').replace(/[0-9a-f-]{36}|dev-[a-z-]+/g, '<id>')}`;

  it('walks every route with every role and every site: allowed, refused (403), or not found (404) outside one’s sites', async () => {
    // Signing out and changing one's password end the session: people-access.test.ts walks them.
    const routes = HUB_ROUTES.filter(
      (r) => Object.hasOwn(PERMISSIONS, r.auth) && !/\/auth\/(logout|password)$/.test(r.path),
    );
    const wrong: string[] = [];
    const counts = { calls: 0, allowed: 0, refused: 0, notFound: 0 };
    const started = Date.now();
    // Everyone at once, each person's calls one after another.
    const walk = async (p: Person) => {
      const who = `${p.role}[${p.sites.join(',')}]`;
      for (const route of routes) {
        const permitted = may(p, route.auth as Permission);
        const sited = SITED.test(route.path);
        // A route about nothing of a site (people, jobs, the audit log, one's session) answers alike
        // whatever one's sites: walked by each role once, by its person given none.
        const siteBlind = !sited && !MAKES.includes(route.path) && !LISTS.includes(route.path);
        if (siteBlind && p.sites.length > 0) continue;
        const answers = new Map<Site, Answer>();
        // Refused by role: whatever the object (a missing one adds nothing).
        const sites: Site[] = sited ? (permitted ? ['A', 'B', null] : ['A', 'B']) : ['A'];
        for (const site of sites) {
          const { path, answer } = request(p, route, site);
          const res = await answer;
          answers.set(site, res);
          counts.calls++;
          const what = `${who} ${route.method} ${path}: ${res.status} ${JSON.stringify(res.body)}`;
          if (!permitted) {
            counts.refused++;
            if (res.status !== 403) wrong.push(`${what} (want 403)`);
          } else if (!sited || (site && sees(p, site))) {
            counts.allowed++;
            // What is made goes to the maker's site: someone given none may make nothing.
            const siteless = MAKES.includes(route.path) && !sees(p, 'A') && !sees(p, 'B');
            if (siteless && res.status === 403 && /no site/.test(String(res.body.error))) continue;
            if ([401, 403, 429].includes(res.status) || res.status >= 500)
              wrong.push(`${what} (want allowed)`);
          } else counts.notFound++;
        }
        if (!permitted || !sited) continue;
        // Out of one's sites: exactly the answer a missing object gets, and that is a 404.
        const missing = answers.get(null)!;
        if (missing.status !== 404)
          wrong.push(`${who} ${route.method} ${route.path} missing: ${said(missing)}`);
        for (const site of ['A', 'B'] as const) {
          const res = answers.get(site)!;
          if (sees(p, site)) {
            // Within one's sites the role's own rules apply (a trainee may be kept to their own chats).
            if (said(res) === said(missing) && !ROLE_LIMITED(p, route))
              wrong.push(`${who} ${route.method} ${route.path} ${site}: answered as missing (${said(res)})`);
          } else if (said(res) !== said(missing))
            wrong.push(
              `${who} ${route.method} ${route.path} ${site}: ${said(res)}, missing: ${said(missing)}`,
            );
        }
      }
    };
    await Promise.all(people.map(walk));
    console.info(
      `role x site matrix: ${people.length} people (${ROLES.length} roles x ${SITE_SETS.length} site sets) x ${routes.length} routes (those about nothing of a site once per role), objects of sites A, B and none = ${counts.calls} calls (${counts.allowed} allowed, ${counts.refused} refused with 403, ${counts.notFound} not found outside the person's sites) in ${Date.now() - started} ms; wrong: ${wrong.length}`,
    );
    expect(wrong).toEqual([]);
  }, 120_000);

  it('lists, totals, pages and search counts hold only the person’s sites', async () => {
    const procedureSite: Record<string, Site> = {
      [ids.procedure.A]: 'A',
      [ids.procedure.B]: 'B',
      [ids.procedure.none]: null,
      [ids.upload.A]: 'A',
      [ids.upload.B]: 'B',
    };
    const deviceSite: Record<string, Site> = {
      [ids.device.A]: 'A',
      [ids.device.B]: 'B',
      [ids.device.none]: null,
    };
    const wrong: string[] = [];
    let lists = 0;
    for (const p of people) {
      const who = `${p.role}[${p.sites.join(',')}]`;
      if (may(p, 'procedures.read')) {
        const want = Object.keys(procedureSite)
          .filter((id) => sees(p, procedureSite[id]!))
          .sort();
        // Two to a page: every page's total is the whole count, and the pages hold exactly these.
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const page = ok(
            await call(p.token, 'get', `/api/v1/procedures?limit=2${cursor ? `&cursor=${cursor}` : ''}`),
          );
          lists++;
          if (page.total !== want.length)
            wrong.push(`${who} procedures total ${page.total}, want ${want.length}`);
          seen.push(...(page.items as { id: string }[]).map((i) => i.id));
          cursor = page.nextCursor as string | null;
        } while (cursor);
        if (JSON.stringify(seen.sort()) !== JSON.stringify(want)) wrong.push(`${who} procedures ${seen}`);
        // The search looks into chat messages: another site's words count nothing.
        for (const site of ['A', 'B'] as const) {
          const found = ok(await call(p.token, 'get', `/api/v1/procedures?q=secret-of-site-${site}`));
          lists++;
          // Out of one's sites nothing; within them what the role may search (a trainee: no chats).
          const most = sees(p, site) ? 1 : 0;
          const total = Number(found.total);
          if (total > most || (total < most && p.role !== 'trainee'))
            wrong.push(`${who} search ${site}: ${found.total}`);
        }
        // The site filter: one of one's sites, or nothing.
        const ofB = ok(await call(p.token, 'get', '/api/v1/procedures?site=B'));
        lists++;
        if (ofB.total !== (sees(p, 'B') ? 2 : 0)) wrong.push(`${who} site filter B: ${ofB.total}`);
        // Rooms: each site's device is in a room named Endo 1.
        const room = ok(await call(p.token, 'get', '/api/v1/procedures?room=endo'));
        lists++;
        const inRooms = Object.keys(procedureSite).filter(
          (id) => sees(p, procedureSite[id]!) && !(Object.values(ids.upload) as string[]).includes(id),
        ).length;
        if (room.total !== inRooms) wrong.push(`${who} room filter: ${room.total}, want ${inRooms}`);
      }
      if (may(p, 'devices.read')) {
        const { items } = ok(await call(p.token, 'get', '/api/v1/devices')) as { items: { id: string }[] };
        lists++;
        const want = Object.keys(deviceSite).filter((id) => sees(p, deviceSite[id]!));
        if (JSON.stringify(items.map((d) => d.id).sort()) !== JSON.stringify(want.sort()))
          wrong.push(`${who} devices ${items.map((d) => d.id)}`);
      }
    }
    console.info(`site lists: ${lists} lists, pages and counts checked; wrong: ${wrong.length}`);
    expect(wrong).toEqual([]);
  });

  it('keeps another site’s chat sessions, the room’s too, out of reach', async () => {
    const reviewer = (site: string) => people.find((p) => p.role === 'reviewer' && p.sites.join() === site)!;
    const [a, b] = [reviewer('A'), reviewer('B')];
    const missing = await call(a.token, 'get', `/api/v1/chat/${randomUUID()}`);
    const roomOfB = await call(a.token, 'get', `/api/v1/chat/${ids.session.roomB}`);
    expect(said(roomOfB)).toBe(said(missing));
    expect(ok(await call(b.token, 'get', `/api/v1/chat/${ids.session.roomB}`)).procedureId).toBe(
      ids.procedure.B,
    );
    // Asking in B's sessions about A's procedure: not found, not "another procedure's" nor "a room's".
    for (const sessionId of [ids.session.B, ids.session.roomB]) {
      const res = await call(a.token, 'post', '/api/v1/chat/message', {
        sessionId,
        procedureId: ids.procedure.A,
        text: 'and here?',
      });
      expect(res.status).toBe(404);
      expect(res.body.error).toBe(`no chat session ${sessionId}`);
    }
    const room = await call(b.token, 'post', '/api/v1/chat/message', {
      sessionId: ids.session.roomB,
      text: 'q',
    });
    expect(room.status).toBe(409);
  });

  it('gives uploads the uploader’s site: the one named if it is theirs, else their only one', async () => {
    const by = (role: UserRole, sites: string[]) =>
      people.find((p) => p.role === role && p.sites.join() === sites.join())!;
    const start = async (p: Person, site?: string) => {
      const res = await call(p.token, 'post', '/api/v1/videos/upload/sessions', {
        bytes: 1_000_000,
        ...(site ? { site } : {}),
      });
      if (res.status !== 201) return res.status;
      const { rows } = await db.query<{ site: string | null }>(
        'SELECT site FROM video_uploads WHERE id = $1',
        [res.body.uploadId],
      );
      return rows[0]!.site;
    };
    expect(await start(by('reviewer', ['A']))).toBe('A');
    expect(await start(by('reviewer', ['A']), 'B')).toBe(403);
    expect(await start(by('reviewer', ['A', 'B']))).toBe(400);
    expect(await start(by('reviewer', ['A', 'B']), 'B')).toBe('B');
    expect(await start(by('reviewer', []))).toBe(403);
    expect(await start(by('admin', []))).toBeNull();
    expect(await start(by('admin', []), 'B')).toBe('B');
    expect(await start(by('reviewer', ['A']), "A'; DROP TABLE users; --")).toBe(400);
    const oneShot = await fetch(`${hub.httpUrl}/api/v1/videos/upload?site=B`, {
      method: 'POST',
      headers: { authorization: `Bearer ${by('reviewer', ['A']).token}`, 'content-type': 'video/mp4' },
      body: 'not a video',
    });
    expect(oneShot.status).toBe(403);
  });

  it('moves devices between sites and rooms within the mover’s sites, audited; their procedures follow', async () => {
    const operator = (sites: string[]) =>
      people.find((p) => p.role === 'operator' && p.sites.join() === sites.join())!;
    const reviewerA = people.find((p) => p.role === 'reviewer' && p.sites.join() === 'A')!;
    const patch = (p: Person | string, id: string, body: unknown) =>
      call(typeof p === 'string' ? p : p.token, 'patch', `/api/v1/devices/${id}`, body);
    expect((await patch(operator(['A']), ids.device.B, { site: 'A' })).status).toBe(404);
    expect((await patch(operator(['A']), ids.device.A, { site: 'B' })).status).toBe(403);
    expect((await patch(operator(['A']), ids.device.A, { site: null })).status).toBe(403);
    expect((await patch(operator(['A']), ids.device.none, { room: 'Endo 2' })).status).toBe(404);
    expect(ok(await patch(operator(['A']), ids.device.A, { room: 'Endo 9' }))).toMatchObject({
      site: 'A',
      room: 'Endo 9',
    });
    for (const bad of [{}, { site: "x'; --" }, { site: 'A', other: 1 }, { room: '' }, '{'])
      expect((await patch(adminToken, ids.device.A, bad)).status, JSON.stringify(bad)).toBe(400);
    expect((await patch(adminToken, 'upload', { site: 'A' })).status).toBe(404);
    expect((await patch(adminToken, '..%2F..%2Fetc', { site: 'A' })).status).toBe(404);

    // Both sites' operator moves A's device to B: A's people lose it and its procedure at once.
    ok(await patch(operator(['A', 'B']), ids.device.A, { site: 'B' }));
    const listA = ok(await call(reviewerA.token, 'get', '/api/v1/procedures'));
    expect((listA.items as { id: string }[]).map((i) => i.id)).toEqual([ids.upload.A]);
    expect((await call(reviewerA.token, 'get', `/api/v1/procedures/${ids.procedure.A}`)).status).toBe(404);
    const devicesA = ok(await call(operator(['A']).token, 'get', '/api/v1/devices')).items as unknown[];
    expect(devicesA).toEqual([]);
    ok(await patch(adminToken, ids.device.A, { site: 'A', room: 'Endo 1' }));
    expect(ok(await call(reviewerA.token, 'get', `/api/v1/procedures/${ids.procedure.A}`))).toMatchObject({
      site: 'A',
      room: 'Endo 1',
    });
    const { rows } = await db.query<{ actor_name: string; outcome: string; detail: { site?: string } }>(
      "SELECT actor_name, outcome, detail FROM audit_log WHERE action = 'device.move' AND object_id = $1 ORDER BY id",
      [ids.device.A],
    );
    expect(rows.filter((r) => r.outcome === 'ok').map((r) => r.detail.site ?? null)).toContain('B');
    expect(rows.some((r) => r.outcome === 'refused' && r.actor_name === operator(['A']).username)).toBe(true);
  });

  it('enrols a device into the site and room of its enrolment token', async () => {
    const operatorB = people.find((p) => p.role === 'operator' && p.sites.join() === 'B')!;
    const { token, site } = ok(
      await call(operatorB.token, 'post', '/api/v1/devices/enrolment-tokens', { room: 'Endo 4' }),
      201,
    );
    expect(site).toBe('B');
    const { publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const enrolled = ok(
      await call(null, 'post', '/api/v1/devices/enrol', {
        token,
        name: 'Room 4 box',
        publicKey: await exportJWK(publicKey),
      }),
      201,
    );
    const { items } = ok(await call(operatorB.token, 'get', '/api/v1/devices')) as {
      items: { id: string; site: string; room: string }[];
    };
    expect(items.find((d) => d.id === enrolled.deviceId)).toMatchObject({ site: 'B', room: 'Endo 4' });
    const operatorA = people.find((p) => p.role === 'operator' && p.sites.join() === 'A')!;
    const other = ok(await call(operatorA.token, 'get', '/api/v1/devices')) as { items: { id: string }[] };
    expect(other.items.map((d) => d.id)).not.toContain(enrolled.deviceId);
  });

  it('lets an admin change a person’s sites, which applies at once', async () => {
    const p = await signedIn('s-moved', 'trainee', []);
    expect(ok(await call(p.token, 'get', '/api/v1/procedures')).total).toBe(0);
    const { items } = ok(await call(adminToken, 'get', '/api/v1/users')) as {
      items: { id: string; username: string; sites: string[] }[];
    };
    const user = items.find((u) => u.username === 's-moved')!;
    expect(user.sites).toEqual([]);
    const changed = ok(await call(adminToken, 'patch', `/api/v1/users/${user.id}`, { sites: ['B', 'B'] }));
    expect(changed.sites).toEqual(['B']);
    expect(ok(await call(p.token, 'get', '/api/v1/procedures')).total).toBe(2);
    for (const bad of [{ sites: 'B' }, { sites: [''] }, { sites: ["B' OR '1'='1"] }, { sites: [1] }])
      expect((await call(adminToken, 'patch', `/api/v1/users/${user.id}`, bad)).status).toBe(400);
    ok(await call(adminToken, 'patch', `/api/v1/users/${user.id}`, { sites: [] }));
    expect(ok(await call(p.token, 'get', '/api/v1/procedures')).total).toBe(0);
  });
});

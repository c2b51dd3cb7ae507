/**
 * In-room sign-in end to end, with a hub and an edge started through their entry points: an admin
 * issues PINs and a badge at the hub, the box syncs the hashes, a person signs in on the box's API
 * (and on the screen's PIN pad in Chromium), what they do is recorded as theirs at the hub, wrong
 * entries are refused and then throttled, a revoked or disabled person's credential stops working
 * after the next sync, and sign-in still works with the hub gone. No PIN, badge or hash is logged.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadEdgeConfig } from '@gic/edge/config.js';
import { type RunningEdge, startEdge } from '@gic/edge/edge-process.js';
import { loadHubConfig } from '@gic/hub/config.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, enrolmentToken, until } from './helpers.js';
import { freePort } from './ports.js';

const ADMIN_PASSWORD = 'room-sign-in-admin-pw';
const root = join(import.meta.dirname, '..');

/** Every log line of a process, kept to search for secrets. */
function capturedLogger(name: string, lines: string[]) {
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return createLogger(name, 'debug', sink);
}

describe('in-room sign-in with a PIN or badge issued at the hub', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-room-sign-in-'));
  chmodSync(dir, 0o711); // embedded PostgreSQL runs as user postgres when tests run as root
  const logLines: string[] = [];
  let hub: RunningHub | undefined;
  let edge: RunningEdge;
  let browser: Browser;
  let admin: string;
  /** How long each step took (ms), printed at the end. */
  const steps: string[] = [];
  let stepAt = Date.now();
  const step = (what: string) => {
    steps.push(`${what} ${Date.now() - stepAt}`);
    stepAt = Date.now();
  };

  const hubCall = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${hub!.httpUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${admin}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  const edgeCall = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${edge.httpUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return {
      status: res.status,
      body: (await res.json()) as Record<string, unknown>,
      retryAfter: res.headers.get('retry-after'),
    };
  };
  const person = async (username: string, role: string) => {
    const res = await hubCall('POST', '/api/v1/users', { username, role });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return (res.body.user as { id: string }).id;
  };
  const heldOnBox = () =>
    (edge.db.prepare('SELECT name FROM room_credentials ORDER BY name').all() as { name: string }[]).map(
      (r) => r.name,
    );

  beforeAll(async () => {
    const [launched, started] = await Promise.all([
      chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu'],
      }),
      startHub(
        loadHubConfig({
          GIC_HUB_ROLES: 'api,broker,ingest',
          GIC_HUB_DATA_DIR: join(dir, 'hub'),
          GIC_HUB_PORT: String(await freePort()),
          GIC_MQTT_PORT: String(await freePort()),
          GIC_EMBEDDED_PG_PORT: String(await freePort()),
          GIC_EMBEDDED_S3_PORT: String(await freePort()),
          GIC_ADMIN_PASSWORD: ADMIN_PASSWORD,
        }),
        capturedLogger('hub', logLines),
      ),
    ]);
    browser = launched;
    hub = started;
    step('hub and browser started');
    admin = await adminToken(hub.httpUrl, ADMIN_PASSWORD);
    edge = await startEdge(
      loadEdgeConfig({
        GIC_EDGE_DATA_DIR: join(dir, 'edge'),
        GIC_EDGE_PORT: String(await freePort()),
        GIC_EDGE_NAME: 'room-sign-in-test',
        GIC_HUB_URL: hub.httpUrl,
        GIC_ENROLMENT_TOKEN: await enrolmentToken(hub.httpUrl, ADMIN_PASSWORD),
        GIC_SOURCE: 'test',
        GIC_PROCEDURE_AUTO: 'false',
        GIC_MODELS: 'pp-ocrv4-det',
        GIC_MODELS_DIR: join(root, 'models'),
        GIC_ROOM_CREDENTIALS_SYNC_S: '1',
        GIC_SCREEN_SIGN_IN_TRIES: '3',
        GIC_SCREEN_SIGN_IN_LOCK_S: '1',
        // Even allowed, typed names stop once the box holds a credential.
        GIC_SCREEN_TYPED_NAMES: 'true',
      }),
      capturedLogger('edge', logLines),
    );
    step('edge started');
  }, 90_000);

  afterAll(async () => {
    console.info(`steps (ms): ${steps.join(', ')}`);
    await browser?.close(); // first: the box's HTTP server waits for open connections (the live push)
    await edge?.stop();
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('syncs PINs and badges to the box, records actions as the signed-in person, throttles, revokes, and works offline', async () => {
    await edge.enrolled;
    step('edge enrolled');
    // The screen is open before any credential exists; it offers the PIN pad once the box has them.
    const screen = await browser.newContext();
    const page = await screen.newPage();
    const opened = page.goto(edge.httpUrl);
    const [okaforId, lindId, locumId] = await Promise.all([
      person('okafor', 'reviewer'),
      person('lind', 'room'), // a nurse: in-room only, no portal rights
      person('locum', 'trainee'),
    ]);

    // Admins issue: a generated PIN (answered once), a chosen PIN and a badge; a PIN another holds is refused.
    const issued = await hubCall('PUT', `/api/v1/users/${okaforId}/room-credential`, {
      name: 'Dr. Okafor',
      generatePin: true,
    });
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    const okaforPin = issued.body.generatedPin as string;
    expect(okaforPin).toMatch(/^\d{6}$/);
    expect(issued.body).toMatchObject({ name: 'Dr. Okafor', pin: true, badge: false });
    const lindPin = okaforPin === '246810' ? '135790' : '246810';
    expect(
      (
        await hubCall('PUT', `/api/v1/users/${lindId}/room-credential`, {
          name: 'Nurse Lind',
          pin: lindPin,
          badge: 'RN-2001',
        })
      ).status,
    ).toBe(200);
    expect(
      (await hubCall('PUT', `/api/v1/users/${locumId}/room-credential`, { pin: okaforPin })).status,
    ).toBe(409);
    expect((await hubCall('PUT', `/api/v1/users/${locumId}/room-credential`, { pin: '12' })).status).toBe(
      400,
    );
    expect(
      (await hubCall('PUT', `/api/v1/users/${locumId}/room-credential`, { pin: '97531086' })).status,
    ).toBe(200);
    const lastIssued = Date.now();
    const read = await hubCall('GET', `/api/v1/users/${lindId}/room-credential`);
    expect(read.body).toMatchObject({ name: 'Nurse Lind', pin: true, badge: true });
    expect(JSON.stringify(read.body)).not.toContain('scrypt');
    // Each issue is in the audit log, without the PIN.
    const { rows: audits } = await hub!.db.query<{ action: string; detail: unknown }>(
      "SELECT action, detail FROM audit_log WHERE action LIKE 'room-credential.%' ORDER BY id",
    );
    expect(audits.map((a) => a.action)).toEqual([
      'room-credential.issue',
      'room-credential.issue',
      'room-credential.issue',
      'room-credential.issue',
      'room-credential.issue',
      'room-credential.read',
    ]);
    expect(audits[0]!.detail).toMatchObject({ pin: 'generated', badge: 'kept' });

    // The box has them within a sync interval; typed names are now refused.
    await until(
      'the box to sync three credentials',
      () => (heldOnBox().length === 3 ? true : undefined),
      15_000,
    );
    const syncMs = Date.now() - lastIssued;
    step('people and credentials issued, synced');
    expect(heldOnBox()).toEqual(['Dr. Okafor', 'Nurse Lind', 'locum']);
    expect((await edgeCall('GET', '/api/v1/operators/current')).body.signIn).toMatchObject({
      pin: true,
      badge: true,
      typedName: false,
    });
    expect((await edgeCall('PUT', '/api/v1/operators/current', { name: 'Dr. Anyone' })).status).toBe(403);
    expect((await edgeCall('POST', '/api/v1/operators/sign-in', { pin: 'abc' })).status).toBe(400);

    // The screen's PIN pad signs Dr. Okafor in.
    await opened;
    await page.waitForFunction(() =>
      document.getElementById('who')?.textContent?.startsWith('Not signed in'),
    );
    await page.click('#pin-button', { timeout: 10_000 });
    for (const digit of okaforPin) await page.click(`.pin-key[data-key="${digit}"]`);
    await page.click('.pin-key[data-key="ok"]');
    await page.waitForFunction(() => document.getElementById('who')?.textContent === 'Signed in: Dr. Okafor');
    await screen.close();
    step('PIN pad in Chromium');
    const current = (await edgeCall('GET', '/api/v1/operators/current')).body;
    expect(current).toMatchObject({ name: 'Dr. Okafor', userId: okaforId, role: 'reviewer' });

    // A procedure started now is Dr. Okafor's, whatever name the request carries.
    const start = await edgeCall('POST', '/api/v1/procedures', { by: 'Somebody Else' });
    expect(start.status, JSON.stringify(start.body)).toBe(201);
    const procedureId = start.body.id as string;
    expect(start.body.operator).toBe('Dr. Okafor');
    // The nurse signs in with her badge: her chat question and the end are hers.
    const badge = await edgeCall('POST', '/api/v1/operators/sign-in', { badge: 'rn-2001' });
    expect(badge.status).toBe(200);
    expect(badge.body).toMatchObject({ name: 'Nurse Lind', userId: lindId, role: 'room' });
    const asked = await edgeCall('POST', '/api/v1/chat/message', {
      text: 'How long so far?',
      by: 'Dr. Okafor',
    });
    expect(asked.status, JSON.stringify(asked.body)).toBe(201);
    expect((await edgeCall('POST', '/api/v1/procedures/current/end', { by: 'Dr. Okafor' })).status).toBe(200);
    const atHub = await until(
      'the procedure and the question at the hub',
      async () => {
        const { rows } = await hub!.db.query<{
          operator: string;
          ended_by: string | null;
          asked_by: string | null;
        }>(
          `SELECT p.operator, p.ended_by,
                  (SELECT by FROM chat_messages m WHERE m.procedure_id = p.id AND m.role = 'user' LIMIT 1) AS asked_by
           FROM procedures p WHERE p.id = $1`,
          [procedureId],
        );
        return rows[0]?.ended_by && rows[0].asked_by ? rows[0] : undefined;
      },
      10_000,
    );
    step('procedure and chat at the hub');
    expect(atHub).toEqual({ operator: 'Dr. Okafor', ended_by: 'Nurse Lind', asked_by: 'Nurse Lind' });

    // Wrong entries: refused, then the entry locks (429, Retry-After), and unlocks after the lock time.
    const wrongPin = okaforPin === '000000' ? '000001' : '000000';
    const tries: Awaited<ReturnType<typeof edgeCall>>[] = [];
    for (let i = 0; i < 4; i++)
      tries.push(await edgeCall('POST', '/api/v1/operators/sign-in', { pin: wrongPin }));
    expect(tries.map((t) => t.status)).toEqual([401, 401, 401, 429]);
    expect(Number(tries[3]!.retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await edgeCall('POST', '/api/v1/operators/sign-in', { pin: okaforPin })).status).toBe(429);
    // Still the nurse: a refused entry signs nobody out.
    expect((await edgeCall('GET', '/api/v1/operators/current')).body.name).toBe('Nurse Lind');
    await new Promise((r) => setTimeout(r, Number(tries[3]!.retryAfter) * 1000 + 100));
    expect((await edgeCall('POST', '/api/v1/operators/sign-in', { pin: okaforPin })).status).toBe(200);

    step('throttled and unlocked');
    // Revoked at the hub while signed in: signed out at the next sync, and the PIN no longer works.
    // A disabled person's credential goes too.
    expect((await hubCall('DELETE', `/api/v1/users/${okaforId}/room-credential`)).status).toBe(204);
    expect((await hubCall('PATCH', `/api/v1/users/${locumId}`, { disabled: true })).status).toBe(200);
    const revoked = Date.now();
    await until(
      'the box to drop the revoked credentials',
      () => (heldOnBox().length === 1 ? true : undefined),
      10_000,
    );
    const revokeMs = Date.now() - revoked;
    expect(heldOnBox()).toEqual(['Nurse Lind']);
    expect((await edgeCall('GET', '/api/v1/operators/current')).body.name).toBeNull();
    expect((await edgeCall('POST', '/api/v1/operators/sign-in', { pin: okaforPin })).status).toBe(401);
    expect((await edgeCall('POST', '/api/v1/operators/sign-in', { pin: '97531086' })).status).toBe(401);

    // The hub gone: sign-in works from the box's copy.
    const hashes = (
      await hub!.db.query<{ h: string }>(
        'SELECT pin_hash AS h FROM room_credentials WHERE pin_hash IS NOT NULL UNION SELECT badge_hash FROM room_credentials WHERE badge_hash IS NOT NULL',
      )
    ).rows.map((r) => r.h);
    const boxHashes = (
      edge.db.prepare('SELECT pin_hash, badge_hash FROM room_credentials').all() as Record<string, string>[]
    ).flatMap((r) => [r.pin_hash!, r.badge_hash!]);
    step('revoked and disabled');
    // A stop that hung once in CI (over 60 s, cause unknown): on a slow stop, say which parts took
    // how long (the hub logs each part as it stops) before the test's own time runs out.
    const stopping = Date.now();
    const stopped = hub!.stop();
    const slow = setTimeout(() => {
      const hubStops = logLines.filter(
        (l) => l.includes('"service":"hub"') && /"msg":"(stopped|stop )/.test(l),
      );
      console.error(`hub still stopping after 20 s; parts so far:\n${hubStops.join('')}`);
    }, 20_000);
    await stopped.finally(() => clearTimeout(slow));
    if (Date.now() - stopping > 5000) console.info(`hub stop took ${Date.now() - stopping} ms`);
    hub = undefined;
    step('hub stopped');
    const offline = await edgeCall('POST', '/api/v1/operators/sign-in', { pin: lindPin });
    expect(offline.status).toBe(200);
    expect(offline.body.name).toBe('Nurse Lind');
    expect((await edgeCall('POST', '/api/v1/operators/sign-out', {})).body.name).toBeNull();

    // No PIN, badge number or hash in any log line or in an event waiting in the box's outbox.
    const outbox = (edge.db.prepare('SELECT payload FROM outbox').all() as { payload: string }[]).map(
      (r) => r.payload,
    );
    const secrets = [okaforPin, lindPin, '97531086', 'RN-2001', 'rn-2001', ...hashes, ...boxHashes];
    // Bounded by non-alphanumerics: a 6-digit PIN may occur by chance inside a UUID's hex.
    const patterns = secrets.map(
      (s) => new RegExp(`(?<![0-9A-Za-z])${s.replace(/[$+/]/g, '\\$&')}(?![0-9A-Za-z])`),
    );
    const leaks = [...logLines, ...outbox].filter((line) => patterns.some((p) => p.test(line)));
    expect(leaks).toEqual([]);
    expect(logLines.some((l) => l.includes('signed in on the screen'))).toBe(true);
    // Polled every second, the list was sent whole only when it changed (else 304): at most one
    // copy for the empty list, one per issue (5) and one per revocation (2).
    const copies = logLines.filter((l) => l.includes('"room credentials synced"')).length;
    expect(copies).toBeGreaterThanOrEqual(2);
    expect(copies).toBeLessThanOrEqual(8);
    console.info(
      `room sign-in: on the box ${syncMs} ms after the last issue, gone ${revokeMs} ms after a revocation (sync every 1 s, ${copies} whole copies, the rest 304); ${logLines.length} log lines and ${outbox.length} outbox events searched for ${secrets.length} secrets: none found`,
    );
  }, 90_000);
});

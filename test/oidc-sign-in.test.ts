/**
 * Single sign-on through OpenID Connect against a real provider the test starts (the `oidc-provider`
 * package, which approves whichever test account it is told to), over HTTP as a browser goes: the
 * hub's start, the provider's authorization and interaction pages, the hub's callback, the portal's
 * one-time code traded for a session. Also what must be refused: a tampered state, a replayed code
 * or callback, a foreign browser, a wrong nonce, an unknown or disabled user, a user with no role;
 * and a provider that is down. Local sign-in goes on working beside it.
 */
import { hashPassword } from '@gic/hub/auth/passwords.js';
import { insertUserIfAbsent, updateUser } from '@gic/hub/auth/users-repo.js';
import type { Database } from '@gic/hub/db/database.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLIENT_ID,
  serveSsoHub,
  ssoEnv,
  ssoHubApp,
  startTestProvider,
  type TestProvider,
} from './oidc-fixture.js';
import { freePort } from './ports.js';
import { createTestDatabase } from './test-database.js';

const PASSWORD = 'Local-Password-Still-Works-1';

/** The provider's accounts: subject -> user name and groups. */
const ACCOUNTS: Record<string, { username: string; groups: string[] }> = {
  'sub-alice': { username: 'alice', groups: ['physicians'] },
  'sub-bob': { username: 'bob', groups: ['physicians', 'admins'] },
  'sub-carol': { username: 'carol', groups: ['visitors'] },
  'sub-dave': { username: 'dave', groups: ['physicians'] },
  'sub-erin': { username: 'erin', groups: ['physicians'] },
  'sub-mallory': { username: 'alice', groups: ['physicians'] },
};

/** A browser: one cookie jar per origin, redirects followed by hand. */
class Browser {
  private jars = new Map<string, Map<string, string>>();

  async get(url: string, init: RequestInit = {}): Promise<Response> {
    const origin = new URL(url).origin;
    const jar = this.jars.get(origin) ?? new Map<string, string>();
    this.jars.set(origin, jar);
    const headers = new Headers(init.headers);
    if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at).trim();
      const value = pair!.slice(at + 1).trim();
      const expired = attrs.some((a) => /^\s*(max-age=0|expires=thu, 01 jan 1970)/i.test(a));
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  }

  /**
   * Follows redirects from `url` until one leaves for `stopAt` (a URL prefix) or an answer is not a
   * redirect. `rewrite` may change a URL before it is visited (a tampered parameter).
   */
  async follow(
    url: string,
    stopAt: (u: string) => boolean,
    rewrite: (u: string) => string = (u) => u,
  ): Promise<{ url: string; res?: Response }> {
    let next = url;
    for (let hops = 0; hops < 20; hops++) {
      const res = await this.get(rewrite(next));
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) return { url: next, res };
      next = new URL(location, next).href;
      if (stopAt(next)) return { url: next };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  forget(origin: string): void {
    this.jars.delete(origin);
  }
}

describe('single sign-on through OpenID Connect', () => {
  let db: Database;
  let provider: TestProvider;
  let hub: { hubUrl: string; close(): Promise<void> };
  let issuer: string;
  let hubUrl: string;

  const startOf = (hub = hubUrl) => `${hub}/api/v1/auth/oidc/start`;
  const isCallback = (u: string) => u.startsWith(`${hubUrl}/api/v1/auth/oidc/callback`);

  /** Start at the hub and go through the provider to the hub's callback URL (not yet visited). */
  const toCallback = async (browser: Browser, account: string, rewrite?: (u: string) => string) => {
    provider.signingIn = account;
    // A fresh sign-in at the provider each time (its session would remember the last account).
    browser.forget(issuer);
    const { url } = await browser.follow(startOf(), isCallback, rewrite);
    expect(isCallback(url), url).toBe(true);
    return url;
  };
  /** Visit the callback: the portal's one-time code, or the refusal page. */
  const callback = async (browser: Browser, url: string) => {
    const res = await browser.get(url);
    const location = res.headers.get('location') ?? '';
    const code = /^\/#\/sso\?code=([^&]+)$/.exec(location)?.[1];
    return { status: res.status, code: code && decodeURIComponent(code), text: code ? '' : await res.text() };
  };
  const exchange = async (code: string) => {
    const res = await fetch(`${hubUrl}/api/v1/auth/oidc/exchange`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const signInBySso = async (account: string) => {
    const browser = new Browser();
    const answer = await callback(browser, await toCallback(browser, account));
    expect(answer.status, answer.text).toBe(302);
    return exchange(answer.code!);
  };
  const me = async (token: string) =>
    (await (
      await fetch(`${hubUrl}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as {
      username: string;
      role: string;
    };
  const lastAudit = async (action: string) =>
    (
      await db.query<{ object_id: string; outcome: string; detail: Record<string, unknown> }>(
        'SELECT object_id, outcome, detail FROM audit_log WHERE action = $1 ORDER BY id DESC LIMIT 1',
        [action],
      )
    ).rows[0];

  beforeAll(async () => {
    ({ db } = await createTestDatabase());
    const hubPort = await freePort();
    provider = await startTestProvider(`http://127.0.0.1:${hubPort}/api/v1/auth/oidc/callback`, ACCOUNTS);
    issuer = provider.issuer;
    hub = await serveSsoHub(db, hubPort, ssoEnv(provider));
    hubUrl = hub.hubUrl;

    // Users an admin created (no one is created at first sign-in by default): erin is disabled.
    for (const [name, role] of [
      ['alice', 'reviewer'],
      ['bob', 'trainee'],
      ['carol', 'reviewer'],
      ['erin', 'reviewer'],
    ] as const)
      await insertUserIfAbsent(db, name, await hashPassword(PASSWORD), role);
    const erin = await db.query<{ id: string }>("SELECT id FROM users WHERE username = 'erin'");
    await updateUser(db, erin.rows[0]!.id, { disabled: true });
  });

  afterAll(async () => {
    await hub?.close();
    await provider?.close();
    await db?.end();
  });

  it('tells the portal that single sign-on is on, and with which provider', async () => {
    const res = await fetch(`${hubUrl}/api/v1/auth/oidc/config`);
    expect(await res.json()).toEqual({
      enabled: true,
      providerName: 'Test IdP',
      startUrl: '/api/v1/auth/oidc/start',
    });
  });

  it('signs a user in by the code flow with PKCE, and opens a hub session as a password sign-in does', async () => {
    const browser = new Browser();
    const started = await browser.get(startOf());
    expect(started.status).toBe(302);
    const authorize = new URL(started.headers.get('location')!);
    expect(authorize.origin).toBe(issuer);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: CLIENT_ID,
      code_challenge_method: 'S256',
      redirect_uri: `${hubUrl}/api/v1/auth/oidc/callback`,
    });
    for (const p of ['state', 'nonce', 'code_challenge'])
      expect(authorize.searchParams.get(p)).toMatch(/^.{43}$/);
    expect(started.headers.get('set-cookie')).toMatch(/gic_oidc_browser=.*HttpOnly.*SameSite=Lax/i);

    provider.signingIn = 'sub-alice';
    const { url } = await browser.follow(authorize.href, isCallback);
    const records = async () =>
      (
        await db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM audit_log WHERE action IN ('auth.login', 'auth.oidc-exchange')",
        )
      ).rows[0]!.n;
    const before = await records();
    const answer = await callback(browser, url);
    expect(answer.status, answer.text).toBe(302);
    expect(answer.code).toMatch(/^gic-sso-/);
    expect(await lastAudit('auth.login')).toMatchObject({
      object_id: 'alice',
      outcome: 'ok',
      detail: { method: 'oidc', subject: 'sub-alice' },
    });

    const session = await exchange(answer.code!);
    expect(session.status, JSON.stringify(session.body)).toBe(200);
    // One record for the sign-in, one for the exchange.
    expect((await records()) - before).toBe(2);
    expect(await lastAudit('auth.oidc-exchange')).toMatchObject({ object_id: 'alice', outcome: 'ok' });
    expect(session.body).toMatchObject({ tokenType: 'Bearer', username: 'alice', role: 'reviewer' });
    expect(await me(String(session.body.accessToken))).toMatchObject({ username: 'alice', role: 'reviewer' });
    // The session's refresh token works as a password sign-in's.
    const refreshed = await fetch(`${hubUrl}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: session.body.refreshToken }),
    });
    expect(refreshed.status).toBe(200);

    // The one-time code works once.
    const again = await exchange(answer.code!);
    expect(again.status).toBe(401);
    expect(again.body.error).toMatch(/unknown, used or expired/);
  });

  it("gives the role the provider's groups map to, first match first", async () => {
    const bob = await signInBySso('sub-bob');
    expect(bob.body).toMatchObject({ username: 'bob', role: 'admin' });
    expect(await me(String(bob.body.accessToken))).toMatchObject({ role: 'admin' });

    const browser = new Browser();
    const carol = await callback(browser, await toCallback(browser, 'sub-carol'));
    expect(carol.status).toBe(403);
    expect(carol.text).toMatch(/carol holds none of the groups values that give a GI Copilot role/);
  });

  it('refuses users an admin did not create, disabled users, and another account claiming a bound name', async () => {
    const browser = new Browser();
    const dave = await callback(browser, await toCallback(browser, 'sub-dave'));
    expect(dave.status).toBe(403);
    expect(dave.text).toMatch(/dave has no account at this hub/);
    expect((await db.query("SELECT 1 FROM users WHERE username = 'dave'")).rowCount).toBe(0);

    const erin = await callback(browser, await toCallback(browser, 'sub-erin'));
    expect(erin.status).toBe(403);
    expect(erin.text).toMatch(/this account is disabled/);
    expect(await lastAudit('auth.login')).toMatchObject({ outcome: 'refused', detail: { method: 'oidc' } });

    // alice is bound to sub-alice since her first sign-in.
    const mallory = await callback(browser, await toCallback(browser, 'sub-mallory'));
    expect(mallory.status).toBe(403);
    expect(mallory.text).toMatch(/alice is bound to another account/);
  });

  it('refuses a sign-in that took too long, an expired one-time code, and a user disabled in between', async () => {
    const browser = new Browser();
    const slow = await toCallback(browser, 'sub-alice');
    await db.query("UPDATE oidc_sign_ins SET expires_at = now() - interval '1 second'");
    const late = await callback(browser, slow);
    expect(late.status).toBe(400);
    expect(late.text).toMatch(/the sign-in took too long/);

    const ticket = await callback(browser, await toCallback(browser, 'sub-alice'));
    expect(ticket.status, ticket.text).toBe(302);
    await db.query("UPDATE oidc_tickets SET expires_at = now() - interval '1 second'");
    expect((await exchange(ticket.code!)).status).toBe(401);

    const pending = await callback(browser, await toCallback(browser, 'sub-alice'));
    expect(pending.status, pending.text).toBe(302);
    const alice = (await db.query<{ id: string }>("SELECT id FROM users WHERE username = 'alice'")).rows[0]!;
    await updateUser(db, alice.id, { disabled: true });
    try {
      const refused = await exchange(pending.code!);
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatch(/disabled/);
    } finally {
      await updateUser(db, alice.id, { disabled: false });
    }
  });

  it('refuses a tampered state, a replayed callback or code, and a callback in another browser', async () => {
    const browser = new Browser();
    const url = await toCallback(browser, 'sub-alice');
    const tampered = new URL(url);
    tampered.searchParams.set('state', `${tampered.searchParams.get('state')}x`);
    const bad = await callback(browser, tampered.href);
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/unknown or already used sign-in state/);

    const first = await callback(browser, url);
    expect(first.status, first.text).toBe(302);
    const replayed = await callback(browser, url);
    expect(replayed.status).toBe(400);
    expect(replayed.text).toMatch(/unknown or already used sign-in state/);

    // The used code with a fresh state: the provider refuses it.
    const fresh = new URL(await toCallback(browser, 'sub-alice'));
    fresh.searchParams.set('code', new URL(url).searchParams.get('code')!);
    const reused = await callback(browser, fresh.href);
    expect(reused.status).toBe(401);
    expect(reused.text).toMatch(/identity provider refused the sign-in code \(invalid_grant/);

    // A callback URL carried to another browser (login CSRF): refused.
    const elsewhere = await toCallback(browser, 'sub-alice');
    const other = await callback(new Browser(), elsewhere);
    expect(other.status).toBe(400);
    expect(other.text).toMatch(/started in another browser/);
  });

  it("refuses an ID token whose nonce is not the sign-in's", async () => {
    const browser = new Browser();
    const url = await toCallback(browser, 'sub-alice', (u) => {
      const parsed = new URL(u);
      if (parsed.origin !== issuer || !parsed.searchParams.has('nonce')) return u;
      parsed.searchParams.set('nonce', 'a-nonce-of-the-attacker');
      return parsed.href;
    });
    const answer = await callback(browser, url);
    expect(answer.status).toBe(401);
    expect(answer.text).toMatch(/ID token was refused: its nonce/);
  });

  it('says so when the provider denies the sign-in', async () => {
    const browser = new Browser();
    const url = new URL(await toCallback(browser, 'sub-alice'));
    url.searchParams.delete('code');
    url.searchParams.set('error', 'access_denied');
    const answer = await callback(browser, url.href);
    expect(answer.status).toBe(401);
    expect(answer.text).toMatch(/did not sign you in \(access_denied/);
  });

  it('keeps local sign-in working beside single sign-on', async () => {
    const res = await fetch(`${hubUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: PASSWORD }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ username: 'alice', role: 'reviewer' });
  });

  it('answers clearly when the provider is down, and says when single sign-on is off', async () => {
    const deadPort = await freePort();
    const build = (env: Record<string, string>) => ssoHubApp(db, hubUrl, env);
    const down = build({ GIC_OIDC_ISSUER: `http://127.0.0.1:${deadPort}`, GIC_OIDC_CLIENT_ID: CLIENT_ID });
    const res = await down.request('/api/v1/auth/oidc/start');
    expect(res.status).toBe(502);
    expect(await res.text()).toMatch(
      /identity provider \(127\.0\.0\.1:\d+\) cannot be reached.*hub password instead/,
    );

    const off = build({});
    expect(await (await off.request('/api/v1/auth/oidc/config')).json()).toEqual({ enabled: false });
    expect((await off.request('/api/v1/auth/oidc/start')).status).toBe(404);
    const exchangeOff = await off.request('/api/v1/auth/oidc/exchange', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'x' }),
    });
    expect(exchangeOff.status).toBe(404);
  });
});

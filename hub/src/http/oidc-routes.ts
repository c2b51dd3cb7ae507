import { createHash } from 'node:crypto';
import { readJson } from '@gic/shared/http/request-context.js';
import { type Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { audit, auditObject } from '../audit/audit-log.js';
import {
  issueTicket,
  randomToken,
  redeemTicket,
  SIGN_IN_TTL_S,
  savePendingSignIn,
  takePendingSignIn,
} from '../auth/oidc/oidc-flow-store.js';
import { OidcError, OidcProviderClient } from '../auth/oidc/oidc-provider-client.js';
import type { OidcSettings } from '../auth/oidc/oidc-settings.js';
import { ssoUser } from '../auth/oidc/oidc-users.js';
import { type SessionPolicy, startSession } from '../auth/session-service.js';
import { findUserById } from '../auth/users-repo.js';
import type { Database } from '../db/database.js';
import { clientAddress } from './client-address.js';
import type { HubEnv } from './hub-env.js';

export const oidcExchangeSchema = z.object({ code: z.string().min(1).max(200) });
/** What the provider sends the browser back with (OpenID Connect Core 3.1.2.5 and 3.1.2.6). */
export const oidcCallbackQuerySchema = z.object({
  code: z.string().min(1).max(2000).optional(),
  state: z.string().min(1).max(200).optional(),
  error: z.string().max(200).optional(),
  error_description: z.string().max(1000).optional(),
});

export interface OidcRoutesOptions {
  db: Database;
  secret: Uint8Array;
  sessions: SessionPolicy;
  /** Absent: single sign-on is off; the routes say so (404) and `/config` answers `enabled: false`. */
  settings?: OidcSettings;
}

/** The cookie that binds a sign-in to the browser that started it (against login CSRF). */
const BROWSER_COOKIE = 'gic_oidc_browser';
const COOKIE_PATH = '/api/v1/auth/oidc';
const OFF = 'single sign-on is not configured at this hub (GIC_OIDC_ISSUER, GIC_OIDC_CLIENT_ID)';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** The browser's steps (start, callback) answer a short page that says what went wrong, and a way back. */
function problemPage(c: Context<HubEnv>, err: OidcError) {
  return c.html(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in failed - GI Copilot</title></head>` +
      `<body><h1>Single sign-on failed</h1><p id="error">${escapeHtml(err.message)}</p>` +
      `<p><a href="/">Back to the sign-in page</a> (local accounts still work).</p></body></html>`,
    err.status,
  );
}

/**
 * Single sign-on through OpenID Connect, mounted at `/api/v1/auth/oidc`: `GET /config` (whether it is
 * on, for the portal's button), `GET /start` (to the provider, with state, nonce and a PKCE S256
 * challenge kept in PostgreSQL), `GET /callback` (the code exchanged and the ID token verified; the
 * browser goes back to the portal with a one-time code in the URL's fragment, never a token) and
 * `POST /exchange` (the portal trades that code, once, within a minute, for a session exactly as a
 * password sign-in opens one).
 */
export function oidcRoutes({ db, secret, sessions, settings }: OidcRoutesOptions) {
  const provider = settings ? new OidcProviderClient(settings) : null;
  const secure = settings?.redirectUrl.startsWith('https:') ?? true;
  return new Hono<HubEnv>()
    .get('/config', (c) =>
      c.json(
        settings
          ? { enabled: true, providerName: settings.providerName, startUrl: `${COOKIE_PATH}/start` }
          : { enabled: false },
      ),
    )
    .get('/start', async (c) => {
      if (!provider) return problemPage(c, new OidcError(404, OFF));
      const state = randomToken();
      const nonce = randomToken();
      const codeVerifier = randomToken();
      const codeChallenge = createHash('sha256').update(codeVerifier).digest('base64url');
      // Two tabs signing in at once share the browser's binding.
      const browser = getCookie(c, BROWSER_COOKIE) ?? randomToken();
      let url: string;
      try {
        url = await provider.authorizationUrl({ state, nonce, codeChallenge });
      } catch (err) {
        if (!(err instanceof OidcError)) throw err;
        c.get('log').warn({ reason: err.message }, 'single sign-on not started');
        return problemPage(c, err);
      }
      await savePendingSignIn(db, { state, browser, nonce, codeVerifier });
      setCookie(c, BROWSER_COOKIE, browser, {
        path: COOKIE_PATH,
        httpOnly: true,
        secure,
        sameSite: 'Lax',
        maxAge: SIGN_IN_TTL_S,
      });
      return c.redirect(url, 302);
    })
    .get('/callback', audit('auth.login', 'user'), async (c) => {
      if (!provider || !settings) return problemPage(c, new OidcError(404, OFF));
      const log = c.get('log');
      auditObject(c, '(single sign-on)', { method: 'oidc' });
      try {
        const parsed = oidcCallbackQuerySchema.safeParse(c.req.query());
        if (!parsed.success)
          throw new OidcError(400, 'the identity provider sent a malformed answer: start the sign-in again');
        const q = parsed.data;
        if (!q.state)
          throw new OidcError(400, 'the identity provider sent no state: start the sign-in again');
        const pending = await takePendingSignIn(db, q.state, getCookie(c, BROWSER_COOKIE));
        if (typeof pending === 'string') throw new OidcError(400, `${pending}: start the sign-in again`);
        if (q.error)
          throw new OidcError(
            401,
            `the identity provider did not sign you in (${q.error}${q.error_description ? `: ${q.error_description}` : ''})`,
          );
        if (!q.code) throw new OidcError(400, 'the identity provider sent no code: start the sign-in again');
        const tokens = await provider.exchangeCode(q.code, pending.codeVerifier);
        const idClaims = await provider.verifyIdToken(tokens.idToken, pending.nonce);
        const wanted = [settings.usernameClaim, settings.roleClaim].filter((k) => k !== undefined);
        // Some providers put profile and group claims only in userinfo; the ID token's win.
        const claims = wanted.every((k) => k in idClaims)
          ? idClaims
          : { ...(await provider.userinfo(tokens.accessToken, String(idClaims.sub))), ...idClaims };
        const user = await ssoUser(db, settings, claims);
        auditObject(c, user.username, {
          method: 'oidc',
          subject: String(idClaims.sub),
          created: user.created,
        });
        const code = await issueTicket(db, user.id);
        deleteCookie(c, BROWSER_COOKIE, { path: COOKIE_PATH, secure });
        log.info({ username: user.username, role: user.role, created: user.created }, 'single sign-on');
        // A fragment: the browser keeps it from the server, its logs and referrers.
        return c.redirect(`/#/sso?code=${encodeURIComponent(code)}`, 302);
      } catch (err) {
        if (!(err instanceof OidcError)) throw err;
        auditObject(c, '(single sign-on)', { method: 'oidc', reason: err.message });
        log.warn({ reason: err.message, address: clientAddress(c) }, 'single sign-on refused');
        return problemPage(c, err);
      }
    })
    .post('/exchange', audit('auth.oidc-exchange', 'user'), async (c) => {
      if (!settings) throw new HTTPException(404, { message: OFF });
      const { code } = await readJson(c, oidcExchangeSchema);
      const userId = await redeemTicket(db, code);
      if (!userId)
        throw new HTTPException(401, {
          message: 'the sign-in code is unknown, used or expired: sign in again',
        });
      const user = await findUserById(db, userId);
      if (!user) throw new HTTPException(401, { message: 'the account is gone: sign in again' });
      auditObject(c, user.username, { method: 'oidc' });
      // Disabled between the callback and now: still out.
      if (user.disabled_at) throw new HTTPException(403, { message: 'this account is disabled' });
      const tokens = await startSession(
        db,
        secret,
        user,
        { address: clientAddress(c), userAgent: c.req.header('user-agent') ?? null },
        sessions,
      );
      c.get('log').info(
        { username: user.username, sessionId: tokens.sessionId },
        'signed in (single sign-on)',
      );
      return c.json(tokens);
    });
}

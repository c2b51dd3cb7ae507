/**
 * What the hub asks of the identity provider (OpenID Connect Core 1.0, authorization code flow with
 * PKCE, RFC 7636): its discovery document, the authorization URL, the code's exchange at the token
 * endpoint, the ID token's check (`jose`: signature by the provider's published keys, algorithm
 * allow-list, issuer, audience, expiry, nonce) and, for claims the ID token leaves out, userinfo.
 */
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import type { OidcSettings } from './oidc-settings.js';

/** A sign-in that cannot go on, with the HTTP status it is answered with and a message for people. */
export class OidcError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 502,
    message: string,
  ) {
    super(message);
  }
}

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint?: string;
}

/** How long the provider gets to answer one request (ms). */
const PROVIDER_TIMEOUT_MS = 5000;
/** The discovery document is fetched again after this (ms): providers rotate keys and endpoints rarely. */
const DISCOVERY_TTL_MS = 60 * 60 * 1000;

export class OidcProviderClient {
  private discovered: { at: number; doc: Discovery; jwks: ReturnType<typeof createRemoteJWKSet> } | null =
    null;

  constructor(readonly settings: OidcSettings) {}

  private unreachable(what: string, err: unknown): OidcError {
    const why =
      err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    return new OidcError(
      502,
      `the identity provider (${this.settings.providerName}) cannot be reached for ${what}: ${why}; sign in with your hub password instead`,
    );
  }

  private async fetchProvider(what: string, url: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await fetch(url, {
        ...init,
        redirect: 'error',
        signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
      });
    } catch (err) {
      throw this.unreachable(what, err);
    }
  }

  /** The provider's endpoints and keys, from `<issuer>/.well-known/openid-configuration` (cached). */
  async discover() {
    if (this.discovered && Date.now() - this.discovered.at < DISCOVERY_TTL_MS) return this.discovered;
    const url = `${this.settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const res = await this.fetchProvider('its discovery document', url);
    if (!res.ok) throw this.unreachable('its discovery document', new Error(`${url} answered ${res.status}`));
    const doc = (await res.json().catch(() => null)) as Partial<Discovery> | null;
    const endpoints = ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const;
    if (!doc || endpoints.some((k) => typeof doc[k] !== 'string'))
      throw this.unreachable(
        'its discovery document',
        new Error(`${url} is not an OpenID provider's configuration`),
      );
    // OpenID Connect Discovery 1.0, 4.3: the document's issuer is exactly the one configured.
    if (doc.issuer !== this.settings.issuer)
      throw this.unreachable(
        'its discovery document',
        new Error(`it names issuer ${doc.issuer}, not ${this.settings.issuer} (GIC_OIDC_ISSUER)`),
      );
    this.discovered = {
      at: Date.now(),
      doc: doc as Discovery,
      jwks: createRemoteJWKSet(new URL(doc.jwks_uri!), { timeoutDuration: PROVIDER_TIMEOUT_MS }),
    };
    return this.discovered;
  }

  /** Where to send the browser: the provider's sign-in, asking for a code bound to this PKCE challenge. */
  async authorizationUrl(p: { state: string; nonce: string; codeChallenge: string }): Promise<string> {
    const { doc } = await this.discover();
    const url = new URL(doc.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.settings.clientId,
      redirect_uri: this.settings.redirectUrl,
      scope: this.settings.scopes.join(' '),
      state: p.state,
      nonce: p.nonce,
      code_challenge: p.codeChallenge,
      code_challenge_method: 'S256',
    }).toString();
    return url.href;
  }

  /** Trades the code for tokens at the token endpoint; the provider refusing it is a 401. */
  async exchangeCode(code: string, codeVerifier: string): Promise<{ idToken: string; accessToken?: string }> {
    const { doc } = await this.discover();
    const { clientId, clientSecret, redirectUrl } = this.settings;
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUrl,
      code_verifier: codeVerifier,
    });
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    // RFC 6749 2.3.1: client_secret_basic, id and secret form-encoded first; a public client names itself.
    if (clientSecret)
      headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
    else body.set('client_id', clientId);
    const res = await this.fetchProvider('the code exchange', doc.token_endpoint, {
      method: 'POST',
      headers,
      body,
    });
    const answer = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (res.status >= 500)
      throw this.unreachable('the code exchange', new Error(`its token endpoint answered ${res.status}`));
    if (!res.ok)
      throw new OidcError(
        401,
        `the identity provider refused the sign-in code (${String(answer.error ?? res.status)}${answer.error_description ? `: ${String(answer.error_description)}` : ''})`,
      );
    if (typeof answer.id_token !== 'string')
      throw new OidcError(401, 'the identity provider answered no ID token (is the openid scope allowed?)');
    return {
      idToken: answer.id_token,
      ...(typeof answer.access_token === 'string' ? { accessToken: answer.access_token } : {}),
    };
  }

  /** Checks the ID token (OpenID Connect Core 3.1.3.7) and resolves with its claims. */
  async verifyIdToken(idToken: string, nonce: string): Promise<JWTPayload> {
    const { jwks } = await this.discover();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, jwks, {
        issuer: this.settings.issuer,
        audience: this.settings.clientId,
        algorithms: this.settings.algorithms,
        requiredClaims: ['sub', 'exp', 'iat'],
        clockTolerance: 30,
      }));
    } catch (err) {
      const code = (err as { code?: string }).code;
      // No code: the key set's fetch itself failed (refused, reset); these two: it timed out or was not 200.
      if (!code || code === 'ERR_JWKS_TIMEOUT' || code === 'ERR_JOSE_GENERIC')
        throw this.unreachable('its signing keys', err);
      throw new OidcError(
        401,
        `the ID token was refused: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (payload.nonce !== nonce)
      throw new OidcError(401, 'the ID token was refused: its nonce is not this sign-in’s');
    // Several audiences: the token must have been issued to this client (azp).
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== this.settings.clientId)
      throw new OidcError(401, 'the ID token was refused: it was issued to another client (azp)');
    return payload;
  }

  /** The user's claims from the userinfo endpoint, for the ones the ID token leaves out; `{}` when none. */
  async userinfo(accessToken: string | undefined, subject: string): Promise<Record<string, unknown>> {
    const { doc } = await this.discover();
    if (!accessToken || !doc.userinfo_endpoint) return {};
    const res = await this.fetchProvider('userinfo', doc.userinfo_endpoint, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
    });
    if (!res.ok)
      throw this.unreachable('userinfo', new Error(`its userinfo endpoint answered ${res.status}`));
    const claims = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    // Core 5.3.2: userinfo's subject must be the ID token's, or its claims are not this user's.
    if (claims.sub !== subject)
      throw new OidcError(401, 'userinfo answered for another subject than the ID token');
    return claims;
  }
}

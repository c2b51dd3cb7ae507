/**
 * The ID token check against a small provider served here (discovery and JWKS over node:http, tokens
 * signed with `jose`): every claim that must match, the algorithm allow-list, and providers that are
 * down or misconfigured.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OidcError, OidcProviderClient } from './oidc-provider-client.js';
import type { OidcSettings } from './oidc-settings.js';

describe('OidcProviderClient', () => {
  let server: Server;
  let issuer: string;
  let key: CryptoKey;
  let otherKey: CryptoKey;
  /** What the discovery document says its issuer is (a misconfigured provider names another). */
  let namedIssuer: string | undefined;
  /** What the token endpoint answers next. */
  let tokenAnswer: { status: number; body: Record<string, unknown> } = { status: 200, body: {} };

  const settings = (over: Partial<OidcSettings> = {}): OidcSettings => ({
    issuer,
    clientId: 'gic-hub',
    redirectUrl: 'http://127.0.0.1/api/v1/auth/oidc/callback',
    scopes: ['openid'],
    usernameClaim: 'preferred_username',
    roleMap: [],
    createUsers: false,
    providerName: 'Test',
    algorithms: ['RS256'],
    ...over,
  });
  const token = (claims: JWTPayload = {}, signWith: CryptoKey = key, alg = 'RS256', kid = 'k1') =>
    new SignJWT({ nonce: 'n-1', preferred_username: 'alice', ...claims })
      .setProtectedHeader({ alg, kid })
      .setIssuer(String(claims.iss ?? issuer))
      .setAudience((claims.aud as string | string[]) ?? 'gic-hub')
      .setSubject('sub-1')
      .setIssuedAt()
      .setExpirationTime((claims.exp as number) ?? '5m')
      .sign(signWith);
  const refusal = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OidcError);
    return err as OidcError;
  };

  beforeAll(async () => {
    ({ privateKey: key } = await generateKeyPair('RS256', { extractable: true }));
    ({ privateKey: otherKey } = await generateKeyPair('RS256'));
    const publicJwk = await exportJWK(key);
    delete publicJwk.d;
    for (const k of ['p', 'q', 'dp', 'dq', 'qi'] as const) delete publicJwk[k];
    server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/openid-configuration')
        return res.end(
          JSON.stringify({
            issuer: namedIssuer ?? issuer,
            authorization_endpoint: `${issuer}/authorize`,
            token_endpoint: `${issuer}/token`,
            jwks_uri: `${issuer}/jwks`,
            userinfo_endpoint: `${issuer}/userinfo`,
          }),
        );
      if (req.url === '/token') {
        res.statusCode = tokenAnswer.status;
        return res.end(JSON.stringify(tokenAnswer.body));
      }
      if (req.url === '/userinfo') return res.end(JSON.stringify({ sub: 'someone-else' }));
      if (req.url === '/jwks')
        return res.end(JSON.stringify({ keys: [{ ...publicJwk, kid: 'k1', alg: 'RS256' }] }));
      res.statusCode = 404;
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('accepts a token of this issuer, for this client, with this nonce', async () => {
    const claims = await new OidcProviderClient(settings()).verifyIdToken(await token(), 'n-1');
    expect(claims).toMatchObject({ sub: 'sub-1', preferred_username: 'alice' });
  });

  it('builds an authorization URL with PKCE S256, state and nonce', async () => {
    const url = new URL(
      await new OidcProviderClient(settings()).authorizationUrl({
        state: 's',
        nonce: 'n',
        codeChallenge: 'c',
      }),
    );
    expect(url.origin + url.pathname).toBe(`${issuer}/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'gic-hub',
      redirect_uri: 'http://127.0.0.1/api/v1/auth/oidc/callback',
      scope: 'openid',
      state: 's',
      nonce: 'n',
      code_challenge: 'c',
      code_challenge_method: 'S256',
    });
  });

  it.each([
    ['another audience', () => token({ aud: 'another-client' }), /ID token was refused: .*aud/],
    ['another issuer', () => token({ iss: 'https://evil.example' }), /ID token was refused: .*iss/],
    [
      'an expired token',
      () => token({ exp: Math.floor(Date.now() / 1000) - 120 }),
      /ID token was refused: .*exp/,
    ],
    ['another nonce', () => token({ nonce: 'n-2' }), /its nonce/],
    ['no nonce', () => token({ nonce: undefined }), /its nonce/],
    ['a key the provider does not publish', () => token({}, otherKey), /ID token was refused/],
    ['several audiences and no azp', () => token({ aud: ['gic-hub', 'other'] }), /another client \(azp\)/],
  ])('refuses %s (401)', async (_what, make, message) => {
    const err = await refusal(new OidcProviderClient(settings()).verifyIdToken(await make(), 'n-1'));
    expect(err.status).toBe(401);
    expect(err.message).toMatch(message);
  });

  it('refuses an algorithm outside the allow-list, and unsigned or HMAC tokens', async () => {
    const client = new OidcProviderClient(settings({ algorithms: ['ES256'] }));
    expect((await refusal(client.verifyIdToken(await token(), 'n-1'))).message).toMatch(/alg/);
    const hmac = await new SignJWT({ nonce: 'n-1' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(issuer)
      .setAudience('gic-hub')
      .setSubject('sub-1')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('gic-hub'));
    expect((await refusal(new OidcProviderClient(settings()).verifyIdToken(hmac, 'n-1'))).status).toBe(401);
    const [, body] = (await token()).split('.');
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${body}.`;
    expect((await refusal(new OidcProviderClient(settings()).verifyIdToken(unsigned, 'n-1'))).status).toBe(
      401,
    );
  });

  it.each([
    [503, {}, 502, /cannot be reached for the code exchange: its token endpoint answered 503/],
    [
      400,
      { error: 'invalid_grant', error_description: 'grant request is invalid' },
      401,
      /refused the sign-in code \(invalid_grant: grant request is invalid\)/,
    ],
    [200, { access_token: 'a' }, 401, /answered no ID token/],
  ])('answers a token endpoint that says %i clearly', async (status, body, expected, message) => {
    tokenAnswer = { status, body };
    const err = await refusal(new OidcProviderClient(settings()).exchangeCode('c', 'v'));
    expect(err.status).toBe(expected);
    expect(err.message).toMatch(message);
  });

  it("refuses userinfo that answers for another subject than the ID token's", async () => {
    const err = await refusal(new OidcProviderClient(settings()).userinfo('a', 'sub-1'));
    expect(err.message).toMatch(/another subject/);
  });

  it('says the provider cannot be reached when it is down or names another issuer (502)', async () => {
    const down = new OidcProviderClient(settings({ issuer: 'http://127.0.0.1:1' }));
    const err = await refusal(down.authorizationUrl({ state: 's', nonce: 'n', codeChallenge: 'c' }));
    expect(err.status).toBe(502);
    expect(err.message).toMatch(/cannot be reached for its discovery document/);

    namedIssuer = 'https://another.example';
    try {
      const wrong = await refusal(
        new OidcProviderClient(settings()).authorizationUrl({ state: 's', nonce: 'n', codeChallenge: 'c' }),
      );
      expect(wrong.status).toBe(502);
      expect(wrong.message).toMatch(/names issuer https:\/\/another\.example/);
    } finally {
      namedIssuer = undefined;
    }
  });
});

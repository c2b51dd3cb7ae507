/**
 * For the single sign-on tests: a real OpenID provider (the `oidc-provider` package) on loopback that
 * approves, without a page, whichever of its accounts the test names; and a hub API (the real app,
 * served over HTTP, on the test's database) configured to use it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadHubConfig } from '@gic/hub/config.js';
import type { Database } from '@gic/hub/db/database.js';
import { createHubApp } from '@gic/hub/http/hub-app.js';
import { createMetrics } from '@gic/shared/http/metrics.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { serve } from '@hono/node-server';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { freePort } from './ports.js';

export const CLIENT_ID = 'gic-hub';
export const CLIENT_SECRET = 'a-client-secret-for-the-test-only';

export interface ProviderAccount {
  username: string;
  groups: string[];
}

export interface TestProvider {
  issuer: string;
  /** The account the provider signs in next (a subject of `accounts`). */
  signingIn: string;
  close(): Promise<void>;
}

/** Starts the provider with one confidential client whose redirect URI is `redirectUri`. */
export async function startTestProvider(
  redirectUri: string,
  accounts: Record<string, ProviderAccount>,
): Promise<TestProvider> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: ['a-cookie-key-for-the-test-only'] },
    claims: { openid: ['sub'], profile: ['preferred_username'], groups: ['groups'] },
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    // Lifetimes of its artifacts (s), set so that it does not warn of its defaults.
    ttl: {
      Interaction: 600,
      Grant: 600,
      Session: 600,
      AccessToken: 600,
      IdToken: 600,
      AuthorizationCode: 60,
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, sub) => {
      const account = accounts[sub];
      return account
        ? {
            accountId: sub,
            claims: () => ({ sub, preferred_username: account.username, groups: account.groups }),
          }
        : undefined;
    },
  });
  const handler = provider.callback();
  const state: TestProvider = { issuer, signingIn: Object.keys(accounts)[0]!, close: async () => {} };
  // The provider's sign-in and consent pages: approve `signingIn` at once.
  const server = createServer(async (req, res) => {
    if (!req.url?.startsWith('/interaction/')) return handler(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      const grant = new provider.Grant({
        accountId: state.signingIn,
        clientId: String(details.params.client_id),
      });
      grant.addOIDCScope(String(details.params.scope));
      const grantId = await grant.save();
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: state.signingIn }, consent: { grantId } },
        { mergeWithLastSubmission: false },
      );
    } catch (err) {
      res.statusCode = 500;
      res.end(String(err));
    }
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  state.close = () =>
    new Promise((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return state;
}

/** The hub's app on `db`, with these settings (GIC_*), served over HTTP at `hubUrl`. */
export function ssoHubApp(db: Database, hubUrl: string, env: Record<string, string>) {
  const none = {} as never;
  return createHubApp({
    log: createLogger('test', 'silent'),
    metrics: createMetrics(`gic_hub_oidc_${Math.random().toString(36).slice(2)}`),
    db,
    store: none,
    secret: crypto.getRandomValues(new Uint8Array(32)),
    api: {
      jobs: none,
      mqttPublicUrl: 'mqtt://127.0.0.1:1883',
      hubPublicUrl: hubUrl,
      videos: { uploads: none, processor: none, exports: none, urlTtlSeconds: 60 },
      people: loadHubConfig({ GIC_HUB_PUBLIC_URL: hubUrl, ...env }).people,
    },
    gpu: () => ({}),
  });
}

/** Serves `ssoHubApp` on `port` (loopback); resolves when it listens. */
export async function serveSsoHub(db: Database, port: number, env: Record<string, string>) {
  const hubUrl = `http://127.0.0.1:${port}`;
  const server = serve({ fetch: ssoHubApp(db, hubUrl, env).fetch, hostname: '127.0.0.1', port });
  await new Promise((r) => server.once('listening', r));
  if ((server.address() as AddressInfo).port !== port) throw new Error('the hub is not on its port');
  return {
    hubUrl,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The settings that point a hub at `provider`, roles from its groups. */
export const ssoEnv = (provider: TestProvider): Record<string, string> => ({
  GIC_OIDC_ISSUER: provider.issuer,
  GIC_OIDC_CLIENT_ID: CLIENT_ID,
  GIC_OIDC_CLIENT_SECRET: CLIENT_SECRET,
  GIC_OIDC_SCOPES: 'openid profile groups',
  GIC_OIDC_ROLE_CLAIM: 'groups',
  GIC_OIDC_ROLE_MAP: 'admins=admin,physicians=reviewer,students=trainee',
  GIC_OIDC_PROVIDER_NAME: 'Test IdP',
});

/**
 * Single sign-on through OpenID Connect: the settings (GIC_OIDC_*, read and validated in config.ts),
 * turned into what the sign-in routes use. Off unless an issuer and a client are named; local accounts
 * stay either way (for when the identity provider is down).
 */
import { ConfigError } from '@gic/shared/config/parse-env.js';
import { z } from 'zod';
import { isUserRole, type UserRole } from '../permissions.js';

/** Signature algorithms an ID token may use: asymmetric only (no `none`, no shared-secret HMAC). */
export const OIDC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'EdDSA',
] as const;

const listOf = (s: string) =>
  s
    .split(/[,\s]+/)
    .map((v) => v.trim())
    .filter(Boolean);

/** The GIC_OIDC_* variables, all optional; `oidcSettings` checks they fit together. */
export const oidcEnvSchema = {
  /** The identity provider's issuer URL (its discovery document is at `/.well-known/openid-configuration`). */
  GIC_OIDC_ISSUER: z.string().min(1).optional(),
  /** The hub's client id at the provider. */
  GIC_OIDC_CLIENT_ID: z.string().min(1).max(500).optional(),
  /** The client's secret (client_secret_basic); absent: a public client, PKCE only. */
  GIC_OIDC_CLIENT_SECRET: z.string().min(1).max(2000).optional(),
  /** The hub's callback as registered at the provider; default `<GIC_HUB_PUBLIC_URL>/api/v1/auth/oidc/callback`. */
  GIC_OIDC_REDIRECT_URL: z.string().min(1).optional(),
  /** Scopes asked for (space- or comma-separated); must hold `openid`. */
  GIC_OIDC_SCOPES: z.string().default('openid profile email'),
  /** The claim matched against the hub's user names. */
  GIC_OIDC_USERNAME_CLAIM: z.string().min(1).max(100).default('preferred_username'),
  /** The claim (a string or a list) whose values give the role through GIC_OIDC_ROLE_MAP. */
  GIC_OIDC_ROLE_CLAIM: z.string().min(1).max(100).optional(),
  /** `value=role,...` (or `;` between pairs when values hold commas): the first pair whose value the claim holds gives the role. */
  GIC_OIDC_ROLE_MAP: z.string().optional(),
  /** Create a user at their first sign-in (needs GIC_OIDC_ROLE_CLAIM); default: only users an admin created. */
  GIC_OIDC_CREATE_USERS: z.enum(['true', 'false']).default('false'),
  /** The provider's name on the portal's button ("Sign in with ..."); default the issuer's host. */
  GIC_OIDC_PROVIDER_NAME: z.string().min(1).max(60).optional(),
  /** ID token signature algorithms accepted. */
  GIC_OIDC_ALGORITHMS: z.string().default('RS256,PS256,ES256,EdDSA'),
};

type OidcEnv = {
  [K in keyof typeof oidcEnvSchema]: z.output<(typeof oidcEnvSchema)[K]>;
};

export interface OidcSettings {
  issuer: string;
  clientId: string;
  /** Absent: a public client (PKCE only). */
  clientSecret?: string;
  redirectUrl: string;
  scopes: string[];
  usernameClaim: string;
  /** Absent: the role is the one an admin gave at the hub. */
  roleClaim?: string;
  /** In order: the first value the claim holds gives the role. */
  roleMap: { value: string; role: UserRole }[];
  createUsers: boolean;
  providerName: string;
  algorithms: string[];
}

const isLoopback = (host: string) => host === 'localhost' || host === '[::1]' || /^127\./.test(host);

function httpsUrl(name: string, value: string, problems: string[]): URL | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${name}: must be a URL`);
    return null;
  }
  // Plain HTTP only on this machine (a provider in a test, say): tokens must not cross a network in clear.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    problems.push(`${name}: must be an https:// URL (http:// only for localhost)`);
    return null;
  }
  return url;
}

/** The single sign-on settings, or undefined when it is off; throws ConfigError when they do not fit. */
export function oidcSettings(env: OidcEnv, hubPublicUrl: string): OidcSettings | undefined {
  const problems: string[] = [];
  const named = Object.entries(env).filter(
    ([k, v]) =>
      v !== undefined &&
      ![
        'GIC_OIDC_SCOPES',
        'GIC_OIDC_USERNAME_CLAIM',
        'GIC_OIDC_CREATE_USERS',
        'GIC_OIDC_ALGORITHMS',
      ].includes(k),
  );
  if (!env.GIC_OIDC_ISSUER || !env.GIC_OIDC_CLIENT_ID) {
    if (named.length === 0) return undefined;
    throw new ConfigError([
      `${env.GIC_OIDC_ISSUER ? 'GIC_OIDC_CLIENT_ID' : 'GIC_OIDC_ISSUER'}: single sign-on needs both GIC_OIDC_ISSUER and GIC_OIDC_CLIENT_ID (set with ${named.map(([k]) => k).join(', ')})`,
    ]);
  }
  const issuer = httpsUrl('GIC_OIDC_ISSUER', env.GIC_OIDC_ISSUER, problems);
  const redirect = httpsUrl(
    'GIC_OIDC_REDIRECT_URL',
    env.GIC_OIDC_REDIRECT_URL ?? `${hubPublicUrl.replace(/\/$/, '')}/api/v1/auth/oidc/callback`,
    problems,
  );
  const scopes = listOf(env.GIC_OIDC_SCOPES);
  if (!scopes.includes('openid')) problems.push('GIC_OIDC_SCOPES: must include openid');
  const algorithms = listOf(env.GIC_OIDC_ALGORITHMS);
  const unknown = algorithms.filter((a) => !(OIDC_ALGORITHMS as readonly string[]).includes(a));
  if (unknown.length || algorithms.length === 0)
    problems.push(`GIC_OIDC_ALGORITHMS: each must be one of ${OIDC_ALGORITHMS.join(', ')}`);
  const roleMap: OidcSettings['roleMap'] = [];
  // Pairs are split at ';' when there is one (values that hold commas: LDAP DNs), else at ','; values may hold spaces.
  const mapText = env.GIC_OIDC_ROLE_MAP ?? '';
  const pairs = mapText
    .split(mapText.includes(';') ? ';' : ',')
    .map((p) => p.trim())
    .filter(Boolean);
  for (const pair of pairs) {
    const at = pair.lastIndexOf('=');
    const value = pair.slice(0, at);
    const role = pair.slice(at + 1);
    if (at <= 0 || !isUserRole(role)) {
      problems.push(
        `GIC_OIDC_ROLE_MAP: "${pair}" must be value=role, the role one of admin, reviewer, trainee, operator, auditor`,
      );
      continue;
    }
    roleMap.push({ value, role });
  }
  if (env.GIC_OIDC_ROLE_CLAIM && roleMap.length === 0)
    problems.push(
      'GIC_OIDC_ROLE_MAP: GIC_OIDC_ROLE_CLAIM needs a map, e.g. admins=admin,physicians=reviewer',
    );
  if (!env.GIC_OIDC_ROLE_CLAIM && roleMap.length)
    problems.push('GIC_OIDC_ROLE_CLAIM: GIC_OIDC_ROLE_MAP needs the claim it reads, e.g. groups');
  const createUsers = env.GIC_OIDC_CREATE_USERS === 'true';
  if (createUsers && !env.GIC_OIDC_ROLE_CLAIM)
    problems.push(
      'GIC_OIDC_CREATE_USERS: creating users needs their role from GIC_OIDC_ROLE_CLAIM and GIC_OIDC_ROLE_MAP',
    );
  if (problems.length || !issuer || !redirect) throw new ConfigError(problems);
  return {
    issuer: env.GIC_OIDC_ISSUER,
    clientId: env.GIC_OIDC_CLIENT_ID,
    ...(env.GIC_OIDC_CLIENT_SECRET ? { clientSecret: env.GIC_OIDC_CLIENT_SECRET } : {}),
    redirectUrl: redirect.href,
    scopes,
    usernameClaim: env.GIC_OIDC_USERNAME_CLAIM,
    ...(env.GIC_OIDC_ROLE_CLAIM ? { roleClaim: env.GIC_OIDC_ROLE_CLAIM } : {}),
    roleMap,
    createUsers,
    providerName: env.GIC_OIDC_PROVIDER_NAME ?? issuer.host,
    algorithms,
  };
}

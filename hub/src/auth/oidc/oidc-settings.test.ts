import { ConfigError } from '@gic/shared/config/parse-env.js';
import { describe, expect, it } from 'vitest';
import { loadHubConfig } from '../../config.js';

const HUB = { GIC_HUB_PUBLIC_URL: 'https://hub.example.org' };
const ON = { ...HUB, GIC_OIDC_ISSUER: 'https://idp.example.org/realms/h', GIC_OIDC_CLIENT_ID: 'gic-hub' };
const problems = (env: Record<string, string>) => {
  try {
    loadHubConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.join('\n');
    throw err;
  }
  return '';
};

describe('single sign-on settings (GIC_OIDC_*)', () => {
  it('is off unless set, and on with an issuer and a client, with defaults', () => {
    expect(loadHubConfig(HUB).people.oidc).toBeUndefined();
    expect(loadHubConfig(ON).people.oidc).toEqual({
      issuer: 'https://idp.example.org/realms/h',
      clientId: 'gic-hub',
      redirectUrl: 'https://hub.example.org/api/v1/auth/oidc/callback',
      scopes: ['openid', 'profile', 'email'],
      usernameClaim: 'preferred_username',
      roleMap: [],
      createUsers: false,
      providerName: 'idp.example.org',
      algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    });
  });

  it('reads a role claim and its map, in order', () => {
    const oidc = loadHubConfig({
      ...ON,
      GIC_OIDC_ROLE_CLAIM: 'groups',
      GIC_OIDC_ROLE_MAP: 'admins=admin, GI physicians=reviewer,students=trainee',
      GIC_OIDC_CREATE_USERS: 'true',
    }).people.oidc;
    expect(oidc?.roleMap).toEqual([
      { value: 'admins', role: 'admin' },
      { value: 'GI physicians', role: 'reviewer' },
      { value: 'students', role: 'trainee' },
    ]);
    expect(oidc?.createUsers).toBe(true);
    // LDAP group names hold commas and equals signs: pairs go apart at ';'.
    const ldap = loadHubConfig({
      ...ON,
      GIC_OIDC_ROLE_CLAIM: 'memberOf',
      GIC_OIDC_ROLE_MAP: 'cn=gi-admins,ou=groups,dc=h=admin; cn=gi,ou=groups,dc=h=reviewer',
    }).people.oidc;
    expect(ldap?.roleMap).toEqual([
      { value: 'cn=gi-admins,ou=groups,dc=h', role: 'admin' },
      { value: 'cn=gi,ou=groups,dc=h', role: 'reviewer' },
    ]);
  });

  it.each([
    [{ ...HUB, GIC_OIDC_CLIENT_ID: 'x' }, /GIC_OIDC_ISSUER: single sign-on needs both/],
    [{ ...HUB, GIC_OIDC_ISSUER: 'https://idp.example.org' }, /GIC_OIDC_CLIENT_ID: single sign-on needs both/],
    [{ ...ON, GIC_OIDC_ISSUER: 'http://idp.example.org' }, /GIC_OIDC_ISSUER: must be an https:\/\/ URL/],
    [{ ...ON, GIC_OIDC_REDIRECT_URL: 'not a url' }, /GIC_OIDC_REDIRECT_URL: must be a URL/],
    [{ ...ON, GIC_OIDC_SCOPES: 'profile email' }, /GIC_OIDC_SCOPES: must include openid/],
    [{ ...ON, GIC_OIDC_ALGORITHMS: 'RS256,HS256' }, /GIC_OIDC_ALGORITHMS: each must be one of/],
    [{ ...ON, GIC_OIDC_ALGORITHMS: 'none' }, /GIC_OIDC_ALGORITHMS/],
    [
      { ...ON, GIC_OIDC_ROLE_CLAIM: 'groups', GIC_OIDC_ROLE_MAP: 'admins=root' },
      /"admins=root" must be value=role/,
    ],
    [{ ...ON, GIC_OIDC_ROLE_CLAIM: 'groups' }, /GIC_OIDC_ROLE_MAP: GIC_OIDC_ROLE_CLAIM needs a map/],
    [{ ...ON, GIC_OIDC_ROLE_MAP: 'a=admin' }, /GIC_OIDC_ROLE_CLAIM: GIC_OIDC_ROLE_MAP needs the claim/],
    [{ ...ON, GIC_OIDC_CREATE_USERS: 'true' }, /GIC_OIDC_CREATE_USERS: creating users needs their role/],
    [{ ...ON, GIC_OIDC_CREATE_USERS: 'yes' }, /GIC_OIDC_CREATE_USERS/],
  ])('refuses %o', (env, message) => {
    expect(problems(env)).toMatch(message);
  });

  it('allows plain HTTP for a provider on this machine only', () => {
    expect(loadHubConfig({ ...ON, GIC_OIDC_ISSUER: 'http://127.0.0.1:9999' }).people.oidc?.issuer).toBe(
      'http://127.0.0.1:9999',
    );
  });
});

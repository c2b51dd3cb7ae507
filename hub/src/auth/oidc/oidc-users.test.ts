import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../../test/test-database.js';
import type { Database } from '../../db/database.js';
import { hashPassword, verifyPassword } from '../passwords.js';
import { findUserByName, insertUserIfAbsent } from '../users-repo.js';
import { OidcError } from './oidc-provider-client.js';
import type { OidcSettings } from './oidc-settings.js';
import { mappedRole, ssoUser } from './oidc-users.js';

const SETTINGS: OidcSettings = {
  issuer: 'https://idp.example.org',
  clientId: 'gic-hub',
  redirectUrl: 'https://hub.example.org/api/v1/auth/oidc/callback',
  scopes: ['openid'],
  usernameClaim: 'preferred_username',
  roleClaim: 'groups',
  roleMap: [
    { value: 'admins', role: 'admin' },
    { value: 'physicians', role: 'reviewer' },
  ],
  createUsers: true,
  providerName: 'IdP',
  algorithms: ['RS256'],
};
const claims = (sub: string, username: string, groups: unknown = ['physicians']) => ({
  sub,
  preferred_username: username,
  groups,
});

describe('ssoUser', () => {
  let db: Database;
  const refused = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OidcError);
    return (err as OidcError).message;
  };

  beforeAll(async () => {
    ({ db } = await createTestDatabase());
  });
  afterAll(() => db?.end());

  it('maps the role claim, a string or a list, first pair first', () => {
    expect(mappedRole(SETTINGS, { groups: ['physicians', 'admins'] })).toBe('admin');
    expect(mappedRole(SETTINGS, { groups: 'physicians' })).toBe('reviewer');
    expect(mappedRole(SETTINGS, { groups: [1, null] })).toBeUndefined();
    expect(mappedRole({ ...SETTINGS, roleClaim: undefined }, { groups: ['admins'] })).toBeUndefined();
  });

  it('creates an unknown user at first sign-in when allowed, with a password nobody knows', async () => {
    const user = await ssoUser(db, SETTINGS, claims('s-new', 'newcomer'));
    expect(user).toMatchObject({ username: 'newcomer', role: 'reviewer', created: true });
    const row = (await findUserByName(db, 'newcomer'))!;
    expect(await verifyPassword('', row.password_hash)).toBe(false);
    // The second time it is the same user, not created again.
    expect(await ssoUser(db, SETTINGS, claims('s-new', 'newcomer'))).toMatchObject({
      id: user.id,
      created: false,
    });
  });

  it('refuses unknown users when creating is off, and names without a usable claim', async () => {
    expect(
      await refused(ssoUser(db, { ...SETTINGS, createUsers: false }, claims('s-x', 'stranger'))),
    ).toMatch(/stranger has no account at this hub/);
    expect(await refused(ssoUser(db, SETTINGS, { sub: 's-y', groups: ['physicians'] }))).toMatch(
      /no usable preferred_username claim/,
    );
  });

  it("keeps an admin-given role without a role claim, and follows the provider's with one", async () => {
    await insertUserIfAbsent(db, 'tess', await hashPassword('Tess-Password-123'), 'trainee');
    const noClaim = { ...SETTINGS, roleClaim: undefined, roleMap: [], createUsers: false };
    expect(await ssoUser(db, noClaim, claims('s-tess', 'tess', ['admins']))).toMatchObject({
      role: 'trainee',
    });
    expect(await ssoUser(db, SETTINGS, claims('s-tess', 'tess', ['admins']))).toMatchObject({
      role: 'admin',
    });
    expect((await findUserByName(db, 'tess'))!.role).toBe('admin');
  });

  it('does not demote the last enabled admin', async () => {
    await db.query("UPDATE users SET disabled_at = now() WHERE role = 'admin' AND username <> 'tess'");
    expect(await ssoUser(db, SETTINGS, claims('s-tess', 'tess', ['physicians']))).toMatchObject({
      role: 'admin',
    });
    await insertUserIfAbsent(db, 'other-admin', await hashPassword('Other-Admin-123'), 'admin');
    expect(await ssoUser(db, SETTINGS, claims('s-tess', 'tess', ['physicians']))).toMatchObject({
      role: 'reviewer',
    });
  });

  it('refuses a second provider account for a bound user, and one bound to another user', async () => {
    expect(await refused(ssoUser(db, SETTINGS, claims('s-impostor', 'tess')))).toMatch(
      /tess is bound to another account/,
    );
    await insertUserIfAbsent(db, 'renamed', await hashPassword('Renamed-User-123'), 'reviewer');
    expect(await refused(ssoUser(db, SETTINGS, claims('s-tess', 'renamed')))).toMatch(
      /this identity provider account is bound to another user than renamed/,
    );
  });
});

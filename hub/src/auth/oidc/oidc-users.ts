/**
 * Who an identity provider's account is at the hub. Matched by user name (GIC_OIDC_USERNAME_CLAIM
 * against `users.username`), then bound to the account's issuer and subject so that another account
 * claiming the same name later is refused. With a role claim configured the provider governs the role
 * (updated at each sign-in, but the last enabled admin is not demoted); without, the role is the one
 * an admin gave. Unknown users are refused unless GIC_OIDC_CREATE_USERS, and a disabled user stays
 * out whichever way they sign in.
 */
import type { Queryable } from '../../db/database.js';
import { hashPassword, randomPassword } from '../passwords.js';
import type { UserRole } from '../permissions.js';
import { findUserByName, insertUserIfAbsent, otherEnabledAdmins, updateUser } from '../users-repo.js';
import { OidcError } from './oidc-provider-client.js';
import type { OidcSettings } from './oidc-settings.js';

/** The role the claim gives: the first pair of the map whose value the claim holds. */
export function mappedRole(settings: OidcSettings, claims: Record<string, unknown>): UserRole | undefined {
  if (!settings.roleClaim) return undefined;
  const raw = claims[settings.roleClaim];
  const held = new Set((Array.isArray(raw) ? raw : [raw]).filter((v) => typeof v === 'string'));
  return settings.roleMap.find((m) => held.has(m.value))?.role;
}

export interface SsoUser {
  id: string;
  username: string;
  role: UserRole;
  created: boolean;
}

/** The hub's user for these verified claims, created or updated as the settings say; OidcError if none. */
export async function ssoUser(
  db: Queryable,
  settings: OidcSettings,
  claims: Record<string, unknown>,
): Promise<SsoUser> {
  const name = claims[settings.usernameClaim];
  if (typeof name !== 'string' || name.length === 0 || name.length > 100)
    throw new OidcError(
      403,
      `the identity provider gave no usable ${settings.usernameClaim} claim (GIC_OIDC_USERNAME_CLAIM) for this account`,
    );
  const subject = `${settings.issuer} ${String(claims.sub)}`;
  const role = mappedRole(settings, claims);
  if (settings.roleClaim && !role)
    throw new OidcError(
      403,
      `${name} holds none of the ${settings.roleClaim} values that give a GI Copilot role: ask an administrator`,
    );
  let user = await findUserByName(db, name);
  let created = false;
  if (!user) {
    if (!settings.createUsers)
      throw new OidcError(403, `${name} has no account at this hub: an administrator must create it first`);
    // A password nobody knows: the user signs in by the provider until an admin sets one.
    created = await insertUserIfAbsent(db, name, await hashPassword(randomPassword()), role!);
    user = await findUserByName(db, name);
    if (!user) throw new OidcError(403, `${name} could not be created`);
  }
  if (user.disabled_at) throw new OidcError(403, 'this account is disabled');
  const bound = await db
    .query<{ oidc_subject: string | null }>(
      'UPDATE users SET oidc_subject = coalesce(oidc_subject, $2) WHERE id = $1 RETURNING oidc_subject',
      [user.id, subject],
    )
    .catch((err: { code?: string }) => {
      // unique_violation: this provider account is already another user's (renamed at the provider).
      if (err.code === '23505')
        throw new OidcError(403, `this identity provider account is bound to another user than ${name}`);
      throw err;
    });
  if (bound.rows[0]?.oidc_subject !== subject)
    throw new OidcError(
      403,
      `${name} is bound to another account at the identity provider: an administrator must check it`,
    );
  let granted = role ?? user.role;
  // As at the people page, the last enabled admin is not demoted (the hub would have no admin left).
  if (granted !== 'admin' && user.role === 'admin' && (await otherEnabledAdmins(db, user.id)) === 0)
    granted = 'admin';
  if (granted !== user.role) await updateUser(db, user.id, { role: granted });
  return { id: user.id, username: user.username, role: granted, created };
}

/**
 * Single sign-on's short-lived, single-use records in PostgreSQL (migration 016), so that any API
 * process may answer any step: a sign-in in progress (state, nonce, PKCE verifier, the browser it
 * belongs to) and the one-time code the portal trades for a session. Secrets the hub hands out are
 * kept by SHA-256 only.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../../db/database.js';

/** A sign-in in progress must come back from the provider within this (s). */
export const SIGN_IN_TTL_S = 10 * 60;
/** The portal trades its one-time code within this (s): it does so at once. */
export const TICKET_TTL_S = 60;

export const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');
/** A random value for a URL or cookie (256 bits, base64url). */
export const randomToken = () => randomBytes(32).toString('base64url');

export interface PendingSignIn {
  nonce: string;
  codeVerifier: string;
}

/** Keeps a sign-in in progress under its state. */
export async function savePendingSignIn(
  db: Queryable,
  p: { state: string; browser: string; nonce: string; codeVerifier: string },
): Promise<void> {
  // Expired ones go as new ones come: the table holds only sign-ins of the last few minutes.
  await db.query('DELETE FROM oidc_sign_ins WHERE expires_at < now()');
  await db.query(
    `INSERT INTO oidc_sign_ins (state_hash, browser_hash, nonce, code_verifier, expires_at)
     VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
    [sha256(p.state), sha256(p.browser), p.nonce, p.codeVerifier, SIGN_IN_TTL_S],
  );
}

/**
 * Takes the sign-in of `state` (once: it is deleted whatever the outcome). A reason string when there
 * is none, it expired, or it was started by another browser.
 */
export async function takePendingSignIn(
  db: Queryable,
  state: string,
  browser: string | undefined,
): Promise<PendingSignIn | string> {
  const { rows } = await db.query<{
    browser_hash: string;
    nonce: string;
    code_verifier: string;
    expired: boolean;
  }>(
    `DELETE FROM oidc_sign_ins WHERE state_hash = $1
     RETURNING browser_hash, nonce, code_verifier, expires_at < now() AS expired`,
    [sha256(state)],
  );
  const row = rows[0];
  if (!row) return 'unknown or already used sign-in state';
  if (row.expired) return 'the sign-in took too long';
  if (!browser || sha256(browser) !== row.browser_hash) return 'the sign-in was started in another browser';
  return { nonce: row.nonce, codeVerifier: row.code_verifier };
}

/** A one-time code for `userId`, to hand to the portal. */
export async function issueTicket(db: Queryable, userId: string): Promise<string> {
  const code = `gic-sso-${randomToken()}`;
  await db.query('DELETE FROM oidc_tickets WHERE expires_at < now()');
  await db.query(
    `INSERT INTO oidc_tickets (code_hash, user_id, expires_at)
     VALUES ($1, $2, now() + make_interval(secs => $3))`,
    [sha256(code), userId, TICKET_TTL_S],
  );
  return code;
}

/** The user a one-time code was issued for, once; undefined when unknown, used or expired. */
export async function redeemTicket(db: Queryable, code: string): Promise<string | undefined> {
  const { rows } = await db.query<{ user_id: string }>(
    'DELETE FROM oidc_tickets WHERE code_hash = $1 AND expires_at >= now() RETURNING user_id',
    [sha256(code)],
  );
  return rows[0]?.user_id;
}

import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';

/** Marks the string as a GI Copilot enrolment token, so a pasted secret is recognisable (and scannable). */
const PREFIX = 'gic-enrol-';

/** An enrolment token as typed or pasted by an operator: the prefix then 32 random bytes in base64url. */
export const enrolmentTokenSchema = z
  .string()
  .regex(
    /^gic-enrol-[A-Za-z0-9_-]{43}$/,
    'must be an enrolment token (gic-enrol- followed by 43 characters)',
  );

/**
 * Hashes a token for storage and lookup. A plain SHA-256 is enough: the token carries 256 random bits, so
 * there is nothing to brute-force, and the hub never needs to keep the token itself.
 */
export function hashEnrolmentToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Makes a new one-time enrolment token; hand `token` to the admin once and store only `tokenHash`. */
export function createEnrolmentToken(): { token: string; tokenHash: string } {
  const token = `${PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, tokenHash: hashEnrolmentToken(token) };
}

import { randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * In-room credentials: a PIN or a badge number per person, issued at the hub, synced to the boxes as
 * slow hashes and checked there with no network. A PIN of 6 to 8 digits has at most 10^8 values, so
 * the hash only slows an attacker who holds a box's database; what protects a PIN is the box's
 * throttle (a few wrong tries lock the PIN entry) and that a box holds only the credentials it needs.
 */

/** A PIN: 6 to 8 digits. */
export const pinSchema = z.string().regex(/^\d{6,8}$/, 'a PIN is 6 to 8 digits');
/** A badge number, as a reader types it: 4 to 64 letters, digits or dashes. */
export const badgeSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9-]{4,64}$/, 'a badge number is 4 to 64 letters, digits or dashes');

// scrypt cost: N=2^14, r=8, p=1 (16 MiB, about 25 ms a hash on our 2-core machines). Lower than the
// hub's passwords (2^15) because a box checks one entry against every person's hash.
const N = 16384;
const r = 8;
const p = 1;
const KEY_LENGTH = 32;
const MAX_MEM = 64 * 1024 * 1024;

function derive(secret: string, salt: Buffer, n: number, rr: number, pp: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, KEY_LENGTH, { N: n, r: rr, p: pp, maxmem: MAX_MEM }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** Badge numbers are compared without case (readers differ). */
function normalise(kind: 'pin' | 'badge', secret: string): string {
  return kind === 'badge' ? `badge:${secret.trim().toUpperCase()}` : `pin:${secret}`;
}

/** Hashes a PIN or badge number as `scrypt$N$r$p$salt$hash` (base64 parts), with its own salt. */
export async function hashRoomSecret(kind: 'pin' | 'badge', secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(normalise(kind, secret), salt, N, r, p);
  return ['scrypt', N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Checks a PIN or badge number against a stored hash in constant time; false for a malformed hash. */
export async function verifyRoomSecret(
  kind: 'pin' | 'badge',
  secret: string,
  stored: string,
): Promise<boolean> {
  const [scheme, n, rr, pp, salt, hash] = stored.split('$');
  const cost = [Number(n), Number(rr), Number(pp)] as const;
  if (scheme !== 'scrypt' || !salt || !hash || !cost.every((v) => Number.isInteger(v) && v > 0)) return false;
  // A hash with an absurd cost (a tampered row) is refused rather than left to stall the box.
  if (cost[0] > 2 ** 17 || cost[1] > 16 || cost[2] > 4) return false;
  const expected = Buffer.from(hash, 'base64');
  try {
    const actual = await derive(normalise(kind, secret), Buffer.from(salt, 'base64'), ...cost);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  } catch {
    return false;
  }
}

/** A random PIN of `digits` digits (uniform, leading zeros allowed). */
export function randomPin(digits = 6): string {
  return Array.from({ length: digits }, () => String(randomInt(10))).join('');
}

/** One person's in-room credential as a box receives it: hashes only. */
export const roomCredentialSchema = z.object({
  userId: z.uuid(),
  /** The name the screen shows and records (alerts, procedures, landmarks, chat). */
  name: z.string().min(1).max(100),
  role: z.string().min(1).max(40),
  pinHash: z.string().max(300).nullable(),
  badgeHash: z.string().max(300).nullable(),
});
export type RoomCredential = z.infer<typeof roomCredentialSchema>;

/** `GET /api/v1/devices/me/room-credentials`: every credential the box may check, and their version. */
export const roomCredentialListSchema = z.object({
  /** Changes whenever any credential in the list changes (also sent as the ETag). */
  version: z.string().min(1).max(100),
  items: z.array(roomCredentialSchema).max(10_000),
});
export type RoomCredentialList = z.infer<typeof roomCredentialListSchema>;

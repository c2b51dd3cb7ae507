import { type RoomCredential, verifyRoomSecret } from '@gic/shared/people/room-credentials.js';
import type { RoomCredentialsStore } from './room-credentials-store.js';
import type { SignInThrottle } from './sign-in-throttle.js';

/** What a person types or scans at the screen. */
export type SignInEntry = { pin: string } | { badge: string };

/** The person signed in on the screen, as recorded on what they do. */
export interface ScreenPerson {
  name: string;
  /** The hub's user id; null for a typed name (a box that never held a credential, flag on). */
  userId: string | null;
  role: string | null;
}

export type SignInOutcome =
  | { ok: true; person: ScreenPerson }
  | { ok: false; status: 401; message: string }
  | { ok: false; status: 429; message: string; retryAfterSeconds: number };

/**
 * Checks one entry against every credential of its kind, all of them each time (the time taken says
 * nothing about who matched), each in constant time. The hub keeps PINs and badges unique, so at most
 * one matches; should two (a stale copy), neither signs in.
 */
export async function matchCredential(
  credentials: RoomCredential[],
  entry: SignInEntry,
): Promise<RoomCredential | undefined> {
  const kind = 'pin' in entry ? 'pin' : 'badge';
  const secret = 'pin' in entry ? entry.pin : entry.badge;
  const candidates = credentials.filter((c) => (kind === 'pin' ? c.pinHash : c.badgeHash));
  const results = await Promise.all(
    candidates.map((c) => verifyRoomSecret(kind, secret, (kind === 'pin' ? c.pinHash : c.badgeHash)!)),
  );
  const matched = candidates.filter((_c, i) => results[i]);
  return matched.length === 1 ? matched[0] : undefined;
}

/** The screen's sign-in: the box's copy of the credentials, behind the box's throttle. */
export class ScreenSignIn {
  constructor(
    private readonly credentials: RoomCredentialsStore,
    private readonly throttle: SignInThrottle,
  ) {}

  async verify(entry: SignInEntry): Promise<SignInOutcome> {
    const wait = this.throttle.begin();
    if (wait !== undefined)
      return {
        ok: false,
        status: 429,
        message: `too many wrong tries: PIN and badge entry locked for ${wait} s`,
        retryAfterSeconds: wait,
      };
    const matched = await matchCredential(this.credentials.list(), entry);
    if (!matched) return { ok: false, status: 401, message: 'not recognised: check the PIN or badge' };
    this.throttle.succeeded();
    return { ok: true, person: { name: matched.name, userId: matched.userId, role: matched.role } };
  }

  get lockedForSeconds(): number {
    return this.throttle.lockedForSeconds;
  }
}

import { randomUUID } from 'node:crypto';
import { hashRoomSecret } from '@gic/shared/people/room-credentials.js';
import { describe, expect, it } from 'vitest';
import { openEdgeDatabase } from '../store/edge-database.js';
import { IdleSignOut } from './idle-sign-out.js';
import { RoomCredentialsStore } from './room-credentials-store.js';
import { recordedActor } from './screen-actor.js';
import { matchCredential, ScreenSignIn } from './screen-sign-in.js';
import { SignInThrottle } from './sign-in-throttle.js';

const person = async (name: string, pin: string | null, badge: string | null = null) => ({
  userId: randomUUID(),
  name,
  role: 'reviewer',
  pinHash: pin ? await hashRoomSecret('pin', pin) : null,
  badgeHash: badge ? await hashRoomSecret('badge', badge) : null,
});

describe('SignInThrottle', () => {
  it('locks after 5 wrong tries in the window, for the lock time, and a right try clears the count', () => {
    let now = 0;
    const t = new SignInThrottle({ tries: 5, windowMs: 300_000, lockMs: 120_000 }, () => now);
    for (let i = 0; i < 4; i++) expect(t.begin()).toBeUndefined();
    t.succeeded(); // a right one: counting starts again
    for (let i = 0; i < 5; i++) {
      now += 1000;
      expect(t.begin()).toBeUndefined();
    }
    expect(t.begin()).toBe(120); // the 6th: locked
    expect(t.lockedForSeconds).toBe(120);
    now += 119_500;
    expect(t.begin()).toBe(1);
    now += 600;
    expect(t.begin()).toBeUndefined();
  });

  it('forgets wrong tries older than the window', () => {
    let now = 0;
    const t = new SignInThrottle({ tries: 3, windowMs: 10_000, lockMs: 60_000 }, () => now);
    t.begin();
    t.begin();
    now += 10_001;
    expect(t.begin()).toBeUndefined();
    expect(t.begin()).toBeUndefined();
    expect(t.lockedForSeconds).toBe(0);
  });
});

describe('screen sign-in', () => {
  it('finds the one person whose PIN or badge matches; none for a wrong one or an ambiguous copy', async () => {
    const a = await person('Dr. Okafor', '482913', 'RN-1');
    const b = await person('Nurse Lind', '777001');
    expect((await matchCredential([a, b], { pin: '777001' }))?.name).toBe('Nurse Lind');
    expect((await matchCredential([a, b], { badge: 'rn-1' }))?.name).toBe('Dr. Okafor');
    expect(await matchCredential([a, b], { pin: '000000' })).toBeUndefined();
    expect(await matchCredential([a, b], { badge: '482913' })).toBeUndefined();
    const twin = await person('Twin', '777001');
    expect(await matchCredential([a, b, twin], { pin: '777001' })).toBeUndefined();
    expect(await matchCredential([], { pin: '777001' })).toBeUndefined();
  });

  it('checks the box copy offline, answers 401 for a wrong entry and 429 with a wait when locked', async () => {
    const db = openEdgeDatabase(':memory:');
    const store = new RoomCredentialsStore(db);
    expect(store.version).toBeNull();
    expect(store.everHeld).toBe(false);
    const okafor = await person('Dr. Okafor', '482913');
    store.replace({ version: 'v1', items: [okafor] });
    expect(store.version).toBe('v1');
    expect(store.everHeld).toBe(true);
    const signIn = new ScreenSignIn(
      store,
      new SignInThrottle({ tries: 3, windowMs: 60_000, lockMs: 60_000 }),
    );
    expect(await signIn.verify({ pin: '482913' })).toEqual({
      ok: true,
      person: { name: 'Dr. Okafor', userId: okafor.userId, role: 'reviewer' },
    });
    // Tries sent at once all count: none slips past the limit while the hashes are checked.
    const wrong = await Promise.all([1, 2, 3, 4].map(() => signIn.verify({ pin: '111111' })));
    expect(wrong.map((o) => (o.ok ? 200 : o.status))).toEqual([401, 401, 401, 429]);
    const locked = await signIn.verify({ pin: '482913' });
    expect(locked).toMatchObject({ ok: false, status: 429 });
    expect(locked.ok === false && locked.status === 429 && locked.retryAfterSeconds).toBeGreaterThan(50);
    // Revoked at the hub: the next copy lacks it; an empty copy keeps `everHeld`.
    store.replace({ version: 'v2', items: [] });
    expect(store.holds(okafor.userId)).toBe(false);
    expect(store.everHeld).toBe(true);
  });
});

describe('who an action is recorded as, and idle sign-out', () => {
  it('records the signed-in person over any name in the request; a name only on a box that never held a credential', () => {
    expect(recordedActor({ signedIn: 'Dr. Okafor', credentialsHeld: true, given: 'Someone' })).toBe(
      'Dr. Okafor',
    );
    expect(recordedActor({ signedIn: null, credentialsHeld: true, given: 'Someone' })).toBeNull();
    expect(recordedActor({ signedIn: null, credentialsHeld: false, given: 'Someone' })).toBe('Someone');
    expect(recordedActor({ signedIn: null, credentialsHeld: false })).toBeNull();
  });

  it('signs out after the idle time outside a procedure, counting from its end', () => {
    let now = 0;
    const idle = new IdleSignOut(60_000, () => now);
    now = 59_000;
    expect(idle.due(true, false)).toBe(false);
    now = 120_000;
    expect(idle.due(true, true)).toBe(false); // in a procedure: never, and the idle time restarts
    now = 170_000;
    expect(idle.due(true, false)).toBe(false);
    now = 180_000;
    expect(idle.due(true, false)).toBe(true);
    expect(idle.due(false, false)).toBe(false);
    expect(new IdleSignOut(0, () => now).due(true, false)).toBe(false);
  });
});

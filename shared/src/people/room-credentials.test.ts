import { describe, expect, it } from 'vitest';
import { badgeSchema, hashRoomSecret, pinSchema, randomPin, verifyRoomSecret } from './room-credentials.js';

describe('in-room credential hashes', () => {
  it('hashes a PIN with its own salt, verifies only the same PIN, and never holds the PIN', async () => {
    const a = await hashRoomSecret('pin', '482913');
    const b = await hashRoomSecret('pin', '482913');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b); // a salt each
    expect(a).not.toContain('482913');
    expect(await verifyRoomSecret('pin', '482913', a)).toBe(true);
    expect(await verifyRoomSecret('pin', '482914', a)).toBe(false);
    expect(await verifyRoomSecret('pin', '4829130', a)).toBe(false);
    // A badge number that happens to be the same digits is not the PIN.
    expect(await verifyRoomSecret('badge', '482913', a)).toBe(false);
  });

  it('compares badge numbers without case or surrounding spaces', async () => {
    const h = await hashRoomSecret('badge', 'Rn-20417');
    expect(await verifyRoomSecret('badge', ' rn-20417 ', h)).toBe(true);
    expect(await verifyRoomSecret('badge', 'RN-20418', h)).toBe(false);
  });

  it('refuses malformed or tampered hashes without throwing or stalling', async () => {
    for (const bad of [
      '',
      'plain',
      'bcrypt$1$2$3$4$5',
      'scrypt$x$8$1$c2FsdA==$aGFzaA==',
      `scrypt$${2 ** 24}$8$1$c2FsdA==$aGFzaA==`,
    ])
      expect(await verifyRoomSecret('pin', '123456', bad)).toBe(false);
  });

  it('checks PIN and badge formats, and makes uniform random PINs of the asked length', () => {
    expect(pinSchema.safeParse('12345').success).toBe(false);
    expect(pinSchema.safeParse('123456').success).toBe(true);
    expect(pinSchema.safeParse('12345678').success).toBe(true);
    expect(pinSchema.safeParse('123456789').success).toBe(false);
    expect(pinSchema.safeParse('12a456').success).toBe(false);
    expect(badgeSchema.safeParse('RN-20417').success).toBe(true);
    expect(badgeSchema.safeParse('a b c d').success).toBe(false);
    expect(randomPin()).toMatch(/^\d{6}$/);
    expect(randomPin(8)).toMatch(/^\d{8}$/);
    const firsts = new Set(Array.from({ length: 200 }, () => randomPin()[0]));
    expect(firsts.size).toBe(10);
  });

  it('takes about 25 ms a hash (scrypt N=2^14), measured', async () => {
    const h = await hashRoomSecret('pin', '000000');
    const started = performance.now();
    for (let i = 0; i < 5; i++) await verifyRoomSecret('pin', '000001', h);
    const ms = (performance.now() - started) / 5;
    console.info(`room credential verify: ${ms.toFixed(1)} ms each (scrypt N=16384 r=8 p=1)`);
    expect(ms).toBeLessThan(500);
  });
});

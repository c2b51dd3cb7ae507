import { describe, expect, it } from 'vitest';
import { createEnrolmentToken, enrolmentTokenSchema, hashEnrolmentToken } from './enrolment-token.js';

describe('enrolment tokens', () => {
  it('have the documented format and a SHA-256 hex hash', () => {
    const { token, tokenHash } = createEnrolmentToken();
    expect(token).toMatch(/^gic-enrol-[A-Za-z0-9_-]{43}$/);
    expect(enrolmentTokenSchema.parse(token)).toBe(token);
    expect(tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashEnrolmentToken(token)).toBe(tokenHash);
  });

  it('hash deterministically to the known SHA-256', () => {
    expect(hashEnrolmentToken('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('are unique', () => {
    expect(createEnrolmentToken().token).not.toBe(createEnrolmentToken().token);
  });

  it('reject look-alikes', () => {
    const { token } = createEnrolmentToken();
    for (const bad of [
      token.slice(0, -1),
      `${token}A`,
      token.replace('gic-enrol-', 'gic-enroll'),
      `${token.slice(0, -1)}=`,
    ]) {
      expect(enrolmentTokenSchema.safeParse(bad).success).toBe(false);
    }
  });
});

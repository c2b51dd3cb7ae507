import { describe, expect, it } from 'vitest';
import { keyCreatedAt, keyRotationDue, nextCredentialsPath } from './rotate-key.js';

describe('key rotation schedule', () => {
  const now = new Date('2026-12-03T12:00:00Z');
  it('is due once the key is as old as the period, never with period 0', () => {
    expect(keyRotationDue(new Date('2026-09-04T12:00:00Z'), 90, now)).toBe(true); // exactly 90 days
    expect(keyRotationDue(new Date('2026-09-04T12:00:01Z'), 90, now)).toBe(false);
    expect(keyRotationDue(new Date('2020-01-01T00:00:00Z'), 0, now)).toBe(false);
    // A key made "in the future" (a clock set back) is not due.
    expect(keyRotationDue(new Date('2027-01-01T00:00:00Z'), 1, now)).toBe(false);
  });
  it('dates a key from its rotation, else from enrolment', () => {
    const base = { enrolledAt: '2026-01-01T00:00:00.000Z' } as Parameters<typeof keyCreatedAt>[0];
    expect(keyCreatedAt(base).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(keyCreatedAt({ ...base, keyCreatedAt: '2026-06-01T00:00:00.000Z' }).toISOString()).toBe(
      '2026-06-01T00:00:00.000Z',
    );
    expect(nextCredentialsPath('/d/device-credentials.json')).toBe('/d/device-credentials.json.next');
  });
});

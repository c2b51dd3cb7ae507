import { describe, expect, it } from 'vitest';
import type { Session } from './api.js';
import { can } from './permissions.js';

const as = (role: string): Session => ({
  token: 't',
  refreshToken: 'r',
  expiresAt: 0,
  username: 'someone',
  role,
  mustChangePassword: false,
});

describe('what the portal offers a role', () => {
  it('follows the hub’s permission table, and offers an unknown role nothing', () => {
    expect(can(as('admin'), 'models.manage')).toBe(true);
    expect(can(as('operator'), 'devices.enrol')).toBe(true);
    expect(can(as('operator'), 'models.manage')).toBe(false);
    expect(can(as('reviewer'), 'devices.read')).toBe(false);
    expect(can(as('superuser'), 'devices.read')).toBe(false);
  });
});

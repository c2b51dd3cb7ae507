import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { commandResultSchema, commandStatusRank, deviceCommandSchema, parsePayload } from './commands.js';

const command = {
  id: randomUUID(),
  kind: 'self-test',
  issuedAt: '2026-12-03T04:00:00.000Z',
  expiresAt: '2026-12-03T04:05:00.000Z',
  issuedBy: 'admin',
};

describe('remote command messages', () => {
  it('takes a command with or without safeDuringProcedure', () => {
    expect(parsePayload(deviceCommandSchema, JSON.stringify(command))).toMatchObject({ ok: true });
    const safe = parsePayload(deviceCommandSchema, JSON.stringify({ ...command, safeDuringProcedure: true }));
    expect(safe.ok && safe.value.safeDuringProcedure).toBe(true);
  });

  it('refuses an unknown kind, a bad id, an expiry before issue, and what is not JSON, with the reason', () => {
    const bad = (v: unknown) =>
      parsePayload(deviceCommandSchema, typeof v === 'string' ? v : JSON.stringify(v));
    expect(bad({ ...command, kind: 'format-disk' })).toMatchObject({ ok: false, reason: /kind/ });
    expect(bad({ ...command, id: 'x' })).toMatchObject({ ok: false, reason: /id/ });
    expect(bad({ ...command, expiresAt: command.issuedAt })).toMatchObject({
      ok: false,
      reason: /expiresAt must be after/,
    });
    expect(bad('{not json')).toEqual({ ok: false, reason: 'payload is not JSON' });
    expect(bad('null')).toMatchObject({ ok: false });
  });

  it('takes a config command with its configuration, and only a config command with one', () => {
    const config = { version: 2, values: { alerts: { sensitivity: 0.7 } } };
    expect(deviceCommandSchema.safeParse({ ...command, kind: 'config', config }).success).toBe(true);
    const without = parsePayload(deviceCommandSchema, JSON.stringify({ ...command, kind: 'config' }));
    expect(without).toMatchObject({ ok: false, reason: /config: a config command carries config/ });
    expect(deviceCommandSchema.safeParse({ ...command, config }).success).toBe(false);
    expect(
      deviceCommandSchema.safeParse({ ...command, kind: 'config', config: { version: 0, values: {} } })
        .success,
    ).toBe(false);
  });

  it('takes a result with its detail, and refuses an unknown status', () => {
    const result = {
      commandId: command.id,
      status: 'succeeded',
      detail: { models: [{ id: 'm', loaded: true }] },
      at: '2026-12-03T04:00:01.000Z',
    };
    expect(commandResultSchema.safeParse(result).success).toBe(true);
    expect(commandResultSchema.safeParse({ ...result, status: 'done' }).success).toBe(false);
    expect(commandResultSchema.safeParse({ ...result, reason: 'x'.repeat(501) }).success).toBe(false);
  });

  it('orders statuses so a late or repeated result never moves a command back', () => {
    expect(commandStatusRank('issued')).toBeLessThan(commandStatusRank('accepted'));
    for (const end of ['succeeded', 'failed', 'refused', 'expired'] as const)
      expect(commandStatusRank(end)).toBeGreaterThan(commandStatusRank('accepted'));
  });
});

import { describe, expect, it } from 'vitest';
import { ago, type DeviceView, health } from './fleet-api.js';

const device = (over: Partial<DeviceView> = {}): DeviceView => ({
  id: 'edge-1',
  name: 'room 1',
  site: null,
  room: null,
  tags: [],
  status: 'online',
  enrolled_at: '2026-12-01T00:00:00Z',
  key_rotated_at: null,
  last_seen_at: null,
  revoked_at: null,
  telemetry_at: null,
  telemetry: null,
  ...over,
});

describe('the fleet page’s reading of a device', () => {
  it('says revoked, offline, warnings with their reasons, or ok', () => {
    expect(health(device({ revoked_at: '2026-12-02T00:00:00Z', status: 'revoked' }))).toEqual({
      state: 'off',
      why: 'revoked',
    });
    expect(health(device({ status: 'offline' }))).toEqual({ state: 'bad', why: 'offline' });
    expect(health(device({ status: 'never-connected' })).why).toBe('never connected');
    expect(
      health(
        device({
          telemetry: {
            analysis: { state: 'stalled', restarts: 1 },
            modelsOff: [{ id: 'blazeface-front', reason: 'missing' }],
            pendingEvents: 5000,
          },
        }),
      ),
    ).toEqual({ state: 'warn', why: 'analysis stalled, 1 model(s) off, 5000 events waiting' });
    expect(health(device({ status: 'in-procedure' }))).toEqual({ state: 'ok', why: 'in a procedure' });
  });
  it('says how long ago', () => {
    const now = Date.parse('2026-12-03T12:00:00Z');
    expect(ago(null, now)).toBe('never');
    expect(ago('2026-12-03T11:59:30Z', now)).toBe('30 s ago');
    expect(ago('2026-12-03T11:00:00Z', now)).toBe('60 min ago');
    expect(ago('2026-12-01T12:00:00Z', now)).toBe('2 days ago');
  });
});

import type { ConfigReport } from '@gic/shared/messages/commands.js';
import { describe, expect, it } from 'vitest';
import { configState } from './config-state.js';

const desired = {
  version: 3,
  values: { alerts: { sensitivity: 0.7, cooldownMs: 2000 }, procedures: { autoEndSeconds: 45 } },
};
const report = (r: Partial<ConfigReport>): ConfigReport => ({
  version: 3,
  applied: [],
  deferred: [],
  overridden: [],
  overriddenBy: {},
  restartRequired: [],
  values: {},
  ...r,
});
const all = {
  'alerts.sensitivity': 0.7,
  'alerts.cooldownMs': 2000,
  'procedures.autoEndSeconds': 45,
};

describe('a device against its desired configuration', () => {
  it('is none with nothing desired', () => {
    expect(configState(null, null)).toEqual({ state: 'none', difference: [] });
  });

  it('is pending until the box confirms the version, every key listed', () => {
    const never = configState(desired, null);
    expect(never.state).toBe('pending');
    expect(never.difference.map((d) => [d.key, d.why])).toEqual([
      ['alerts.cooldownMs', 'the box has not confirmed it yet'],
      ['alerts.sensitivity', 'the box has not confirmed it yet'],
      ['procedures.autoEndSeconds', 'the box has not confirmed it yet'],
    ]);
    const older = configState(desired, report({ version: 2, values: all }));
    expect(older.state).toBe('pending');
    expect(older.difference[0]!.why).toBe('the box runs version 2, not 3 yet');
  });

  it('is pending while keys wait for the procedure to end or for the next start', () => {
    const s = configState(
      desired,
      report({
        values: { 'alerts.sensitivity': 0.7, 'alerts.cooldownMs': 2000, 'procedures.autoEndSeconds': 30 },
        deferred: ['procedures.autoEndSeconds'],
      }),
    );
    expect(s.state).toBe('pending');
    expect(s.difference).toEqual([
      {
        key: 'procedures.autoEndSeconds',
        desired: 45,
        reported: 30,
        why: 'deferred until the procedure in progress ends',
        kind: 'pending',
      },
    ]);
    const restart = configState(
      { version: 3, values: { recording: { fps: 25 } } },
      report({ restartRequired: ['recording.fps'] }),
    );
    expect(restart.state).toBe('pending');
    expect(restart.difference[0]!.why).toMatch(/next start/);
  });

  it('is drifted when the box refused the version, with its reason', () => {
    const s = configState(desired, report({ version: 2, values: all }), 'alerts.sensitivity: too big');
    expect(s.state).toBe('drifted');
    expect(s.difference[0]!.why).toBe('the box refused version 3: alerts.sensitivity: too big');
  });

  it('is in sync when the confirmed version runs every key as desired', () => {
    expect(configState(desired, report({ values: all }))).toEqual({ state: 'in-sync', difference: [] });
  });

  it('is drifted when the box’s own setting wins, or runs another value', () => {
    const overridden = configState(
      desired,
      report({
        values: { ...all, 'alerts.cooldownMs': 500 },
        overridden: ['alerts.cooldownMs'],
        overriddenBy: { 'alerts.cooldownMs': 'environment variable GIC_ALERT_COOLDOWN_MS' },
      }),
    );
    expect(overridden.state).toBe('drifted');
    expect(overridden.difference).toEqual([
      {
        key: 'alerts.cooldownMs',
        desired: 2000,
        reported: 500,
        why: 'overridden on the box by its environment variable GIC_ALERT_COOLDOWN_MS, which wins',
        kind: 'drifted',
      },
    ]);
    const other = configState(desired, report({ values: { ...all, 'alerts.sensitivity': 0.5 } }));
    expect(other.state).toBe('drifted');
    expect(other.difference.map((d) => d.why)).toEqual(['the box runs another value']);
    // Drift outweighs a key still waiting.
    const both = configState(
      desired,
      report({
        values: { ...all, 'alerts.sensitivity': 0.5 },
        deferred: ['procedures.autoEndSeconds'],
      }),
    );
    expect(both.state).toBe('drifted');
  });
});

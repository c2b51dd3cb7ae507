import { describe, expect, it } from 'vitest';
import { chooseDevices, installState, nextStep, type PlannedDevice, rollbackState } from './rollout-plan.js';

const fleet = Array.from({ length: 20 }, (_, i) => `dev-${i}`);
const device = (
  deviceId: string,
  stage: 'canary' | 'percent',
  state: PlannedDevice['state'],
  sent = true,
) => ({
  deviceId,
  stage,
  state,
  commandId: sent ? `cmd-${deviceId}` : null,
  rollbackCommandId: null,
});

describe('chooseDevices', () => {
  it('takes the canary group, then the percentage of the rest rounded up, the same for the same seed', () => {
    const chosen = chooseDevices(fleet, 'tiny-polyp@2.0.0', 2, 50);
    expect(chosen.filter((d) => d.stage === 'canary')).toHaveLength(2);
    expect(chosen.filter((d) => d.stage === 'percent')).toHaveLength(9); // 50 % of 18
    expect(new Set(chosen.map((d) => d.deviceId)).size).toBe(11);
    // Deterministic whatever the order the fleet is listed in.
    expect(chooseDevices([...fleet].reverse(), 'tiny-polyp@2.0.0', 2, 50)).toEqual(chosen);
    // Another seed picks another order (not the fleet's listing order).
    expect(chooseDevices(fleet, 'tiny-polyp@3.0.0', 2, 50)).not.toEqual(chosen);
    expect(chosen.map((d) => d.deviceId)).not.toEqual(fleet.slice(0, 11));
  });

  it('takes every device at 100 %, only the canaries at 0 %, and copes with fewer devices than canaries', () => {
    expect(chooseDevices(fleet, 's', 1, 100)).toHaveLength(20);
    expect(chooseDevices(fleet, 's', 3, 0).map((d) => d.stage)).toEqual(['canary', 'canary', 'canary']);
    expect(chooseDevices(['a', 'a', 'b'], 's', 5, 100)).toHaveLength(2);
  });
});

describe('device states from the box answers', () => {
  it('reads pending, deferred, installing, healthy and failed with the reason', () => {
    expect(installState({ status: 'issued', reason: null, detail: null }).state).toBe('pending');
    expect(
      installState({
        status: 'accepted',
        reason: 'procedure in progress: done when it ends',
        detail: { deferred: true },
      }),
    ).toEqual({ state: 'deferred', reason: 'procedure in progress: done when it ends' });
    expect(installState({ status: 'accepted', reason: null, detail: null }).state).toBe('installing');
    // The box answers accepted again when the procedure has ended and the switch begins.
    expect(
      installState({ status: 'accepted', reason: null, detail: { deferred: true, started: true } }).state,
    ).toBe('installing');
    expect(installState({ status: 'succeeded', reason: null, detail: {} }).state).toBe('healthy');
    expect(installState({ status: 'failed', reason: 'the model does not load', detail: null })).toEqual({
      state: 'failed',
      reason: 'the model does not load',
    });
    expect(installState({ status: 'expired', reason: null, detail: null })).toEqual({
      state: 'failed',
      reason: 'expired',
    });
    expect(rollbackState({ status: 'accepted', reason: null, detail: null }).state).toBe('rolling-back');
    expect(rollbackState({ status: 'succeeded', reason: null, detail: null }).state).toBe('rolled-back');
    expect(rollbackState({ status: 'failed', reason: 'no previous version', detail: null }).reason).toBe(
      'rollback failed: no previous version',
    );
  });
});

describe('nextStep', () => {
  const running = { status: 'running' as const, stage: 'canary' as const, maxFailures: 2 };

  it('sends the canaries first, waits for them, then moves to the percentage, then completes', () => {
    const devices = [
      device('a', 'canary', 'pending', false),
      device('b', 'percent', 'pending', false),
      device('c', 'percent', 'pending', false),
    ];
    expect(nextStep(running, devices)).toEqual({ kind: 'install', deviceIds: ['a'] });
    devices[0] = device('a', 'canary', 'installing');
    expect(nextStep(running, devices)).toEqual({ kind: 'wait' });
    devices[0] = device('a', 'canary', 'deferred');
    expect(nextStep(running, devices)).toEqual({ kind: 'wait' });
    devices[0] = device('a', 'canary', 'healthy');
    expect(nextStep(running, devices)).toEqual({ kind: 'advance', to: 'percent' });
    const percent = { ...running, stage: 'percent' as const };
    expect(nextStep(percent, devices)).toEqual({ kind: 'install', deviceIds: ['b', 'c'] });
    devices[1] = device('b', 'percent', 'healthy');
    devices[2] = device('c', 'percent', 'failed');
    // One failure is below the abort rule (2): the stage is finished.
    expect(nextStep(percent, devices)).toEqual({ kind: 'advance', to: 'done' });
  });

  it('aborts once maxFailures devices failed, and does nothing while paused', () => {
    const devices = [
      device('a', 'canary', 'failed'),
      device('b', 'canary', 'failed'),
      device('c', 'percent', 'pending', false),
    ];
    const step = nextStep(running, devices);
    expect(step.kind).toBe('abort');
    expect(step.kind === 'abort' && step.reason).toMatch(/2 device\(s\) failed/);
    expect(nextStep({ ...running, status: 'paused' }, [device('a', 'canary', 'pending', false)])).toEqual({
      kind: 'wait',
    });
    expect(nextStep({ ...running, status: 'aborted' }, devices)).toEqual({ kind: 'wait' });
  });

  it('goes straight on when the canary group is empty', () => {
    expect(nextStep({ ...running, maxFailures: 1 }, [device('b', 'percent', 'pending', false)])).toEqual({
      kind: 'advance',
      to: 'percent',
    });
  });

  it('rolls back every device that took or is taking the install, once', () => {
    const devices = [
      device('a', 'canary', 'healthy'),
      device('b', 'percent', 'deferred'),
      device('c', 'percent', 'failed'),
      device('d', 'percent', 'pending', false),
      { ...device('e', 'percent', 'rolling-back'), rollbackCommandId: 'r-e' },
    ];
    expect(nextStep({ ...running, status: 'rolled-back' }, devices)).toEqual({
      kind: 'rollback',
      deviceIds: ['a', 'b'],
    });
  });
});

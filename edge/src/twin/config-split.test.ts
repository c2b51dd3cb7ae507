import { describe, expect, it } from 'vitest';
import { keyTiming, splitDesiredConfig } from './config-split.js';

const keys = ['procedures.autoEndSeconds', 'alerts.sensitivity', 'recording.fps', 'alerts.cooldownMs'];

const env = { 'alerts.cooldownMs': 'environment variable GIC_ALERT_COOLDOWN_MS' };

describe("the box's split of a desired configuration", () => {
  it('knows when each key can take effect', () => {
    expect(keyTiming('alerts.sensitivity')).toBe('live');
    expect(keyTiming('procedures.auto')).toBe('between-procedures');
    expect(keyTiming('source')).toBe('next-start');
    expect(keyTiming('privacyMasks')).toBe('next-start');
  });

  it('applies all it can with no procedure; its own settings win', () => {
    expect(splitDesiredConfig(keys, env, false)).toEqual({
      applyNow: ['alerts.sensitivity', 'procedures.autoEndSeconds', 'recording.fps'],
      deferred: [],
      overridden: ['alerts.cooldownMs'],
      overriddenBy: env,
      restartRequired: [],
    });
  });

  it('defers the procedure rules while a procedure runs; alert defaults still apply at once', () => {
    const split = splitDesiredConfig(keys, env, true);
    expect(split.applyNow).toEqual(['alerts.sensitivity']);
    expect(split.deferred).toEqual(['procedures.autoEndSeconds', 'recording.fps']);
    expect(split.overridden).toEqual(['alerts.cooldownMs']);
  });

  it('rebuilds the capture for its keys between procedures, and defers them during one', () => {
    expect(keyTiming('analysis.fps')).toBe('capture-restart');
    expect(splitDesiredConfig(['analysis.maxSize'], {}, false).applyNow).toEqual(['analysis.maxSize']);
    expect(splitDesiredConfig(['analysis.maxSize'], {}, true).deferred).toEqual(['analysis.maxSize']);
  });

  it('counts a key already in effect (loaded at start, or applied before) as applied', () => {
    const split = splitDesiredConfig(
      ['upload.partMb', 'recording.fps'],
      {},
      true,
      new Set(['upload.partMb', 'recording.fps']),
    );
    expect(split).toMatchObject({
      applyNow: ['recording.fps', 'upload.partMb'],
      restartRequired: [],
      deferred: [],
    });
  });

  it('lets a local setting win even over a key that would wait', () => {
    const split = splitDesiredConfig(['source'], { source: 'configuration file /etc/gic/edge.json' }, true);
    expect(split).toMatchObject({ overridden: ['source'], restartRequired: [], deferred: [] });
  });
});

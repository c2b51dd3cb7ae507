import { describe, expect, it } from 'vitest';
import {
  desiredEdgeConfigSchema,
  flattenEdgeConfig,
  keyVariables,
  variableKey,
} from './desired-edge-config.js';

describe('a desired edge configuration', () => {
  it('is flattened to one value per key: section members, the source and the masks whole', () => {
    expect(
      flattenEdgeConfig({
        alerts: { sensitivity: 0.7 },
        procedures: { autoEndSeconds: 45, auto: false },
        source: { kind: 'rtsp', url: 'rtsp://tower/1' },
        privacyMasks: [{ x: 0, y: 0, w: 0.2, h: 0.1 }],
        logLevel: 'debug',
      }),
    ).toEqual({
      'alerts.sensitivity': 0.7,
      'procedures.autoEndSeconds': 45,
      'procedures.auto': false,
      source: { kind: 'rtsp', url: 'rtsp://tower/1' },
      privacyMasks: [{ x: 0, y: 0, w: 0.2, h: 0.1 }],
      logLevel: 'debug',
    });
  });

  it('maps keys to the variables they stand for and back', () => {
    expect(keyVariables('alerts.sensitivity')).toEqual(['GIC_ALERT_SENSITIVITY']);
    expect(keyVariables('source')).toContain('GIC_SOURCE_LOOP');
    expect(variableKey('GIC_REPLAY_REALTIME')).toBe('source');
    expect(variableKey('GIC_PROCEDURE_AUTO_END_S')).toBe('procedures.autoEndSeconds');
    expect(variableKey('GIC_KEY_ROTATION_DAYS')).toBeUndefined();
  });

  it('takes a good one as given', () => {
    const good = {
      alerts: { sensitivity: 0.7, cooldownMs: 2000 },
      analysis: { fps: 4, maxSize: '1280x720' },
    };
    expect(desiredEdgeConfigSchema.parse(good)).toEqual(good);
  });

  it('names every bad key: unknown, mistyped, out of the box’s own range, box-only', () => {
    const result = desiredEdgeConfigSchema.safeParse({
      alerts: { sensitivity: 3, cooldownMs: -1 },
      analysis: { maxSize: '12x7' },
      hubUrl: 'http://elsewhere:8080',
    });
    expect(result.success).toBe(false);
    const problems = result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(problems.find((p) => p.startsWith('alerts.sensitivity:'))).toMatch(/GIC_ALERT_SENSITIVITY/);
    expect(problems.some((p) => p.startsWith('alerts.cooldownMs:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('analysis.maxSize:'))).toBe(true);
    expect(problems.find((p) => p.startsWith('hubUrl:'))).toMatch(/set on the box only/);
    const unknown = desiredEdgeConfigSchema.safeParse({ alerts: { sensitivty: 0.5 } });
    expect(unknown.error!.issues[0]!.message).toMatch(/sensitivty/);
  });
});

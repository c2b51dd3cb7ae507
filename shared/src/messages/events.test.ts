import { describe, expect, it } from 'vitest';
import { deviceEventSchema } from './events.js';

const base = {
  id: '6f1b0b3e-2f4a-4c1e-9d2a-0c8a4b0e7a11',
  seq: 1,
  ts: '2026-11-24T10:00:00.000Z',
  procedureId: '0b6f6a9e-8a9f-4f0e-b1b5-3f4b1b2c3d4e',
};

describe('deviceEventSchema', () => {
  it('accepts a procedure.started event', () => {
    const event = {
      ...base,
      type: 'procedure.started',
      body: { startedAt: base.ts, source: { kind: 'file', label: 'sample.mp4' } },
    };
    expect(deviceEventSchema.parse(event)).toEqual(event);
  });

  it('rejects unknown types, bad ids and out-of-range boxes with a reason', () => {
    expect(deviceEventSchema.safeParse({ ...base, type: 'nope', body: {} }).success).toBe(false);
    expect(deviceEventSchema.safeParse({ ...base, id: 'x', type: 'procedure.started' }).success).toBe(false);
    const bad = deviceEventSchema.safeParse({
      ...base,
      type: 'frame.analysed',
      body: {
        frameIndex: 0,
        ptsMs: 0,
        width: 10,
        height: 10,
        quality: { sharpness: 1, brightness: 0.5, blurred: false, exposure: 'ok', inBody: true },
        privacyRegions: [{ x: 0, y: 0, w: 2, h: 0.1 }],
        detections: [],
        models: [],
        modelsOff: [],
        latencyMs: 1,
      },
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['body', 'privacyRegions', 0, 'w']);
  });
});

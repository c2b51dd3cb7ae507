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

  it("accepts a recording seal with or without its first frame's capture time, and refuses a bad one", () => {
    const seal = (body: Record<string, unknown>) => ({
      ...base,
      type: 'recording.sealed',
      body: {
        recordingId: '9a4e1c2b-5d6f-4a7b-8c9d-0e1f2a3b4c5d',
        status: 'ready',
        sizeBytes: 1000,
        sha256: 'a'.repeat(64),
        error: null,
        ...body,
      },
    });
    expect(deviceEventSchema.parse(seal({}))).toEqual(seal({})); // an older edge's seal
    const dated = seal({ segmentIndex: 0, final: true, startedAt: '2026-11-24T09:59:58.500Z' });
    expect(deviceEventSchema.parse(dated)).toEqual(dated);
    expect(deviceEventSchema.safeParse(seal({ startedAt: 'yesterday' })).success).toBe(false);
  });

  it('accepts a chat message and rejects an empty, oversized or unknown-role one', () => {
    const chat = (body: Record<string, unknown>) => ({
      ...base,
      type: 'chat.message',
      body: {
        messageId: '9a4e1c2b-5d6f-4a7b-8c9d-0e1f2a3b4c5d',
        sessionId: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
        role: 'user',
        text: 'What is the adenoma detection rate?',
        at: base.ts,
        ...body,
      },
    });
    expect(deviceEventSchema.parse(chat({ by: 'dr.jones' }))).toEqual(chat({ by: 'dr.jones' }));
    expect(deviceEventSchema.safeParse(chat({})).success).toBe(true);
    const path = (body: Record<string, unknown>) =>
      deviceEventSchema.safeParse(chat(body)).error?.issues[0]?.path.join('.');
    expect(path({ text: '' })).toBe('body.text');
    expect(path({ text: 'x'.repeat(8001) })).toBe('body.text');
    expect(path({ role: 'system' })).toBe('body.role');
    expect(path({ sessionId: 'not-a-uuid' })).toBe('body.sessionId');
  });
});

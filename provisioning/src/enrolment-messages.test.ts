import { describe, expect, it } from 'vitest';
import { generateDeviceKeyPair } from './device-keys.js';
import { enrolRequestSchema, enrolResponseSchema } from './enrolment-messages.js';
import { createEnrolmentToken } from './enrolment-token.js';

describe('enrolRequestSchema', () => {
  it('accepts a well-formed request and drops extra key members', async () => {
    const { publicJwk } = await generateDeviceKeyPair();
    const { token } = createEnrolmentToken();
    const request = enrolRequestSchema.parse({
      token,
      name: '  Endoscopy room 2 ',
      publicKey: { ...publicJwk, kid: 'x' },
      softwareVersion: '0.1.0',
    });
    expect(request).toEqual({
      token,
      name: 'Endoscopy room 2',
      publicKey: publicJwk,
      softwareVersion: '0.1.0',
    });
  });

  it('rejects a private key, an unprintable name and a bad token', async () => {
    const { privateJwk, publicJwk } = await generateDeviceKeyPair();
    const { token } = createEnrolmentToken();
    const ok = { token, name: 'Room 1', publicKey: publicJwk };
    expect(enrolRequestSchema.safeParse(ok).success).toBe(true);
    expect(enrolRequestSchema.safeParse({ ...ok, publicKey: privateJwk }).success).toBe(false);
    expect(enrolRequestSchema.safeParse({ ...ok, name: 'Room\n1' }).success).toBe(false);
    expect(enrolRequestSchema.safeParse({ ...ok, name: 'Room \u202e1' }).success).toBe(false);
    expect(enrolRequestSchema.safeParse({ ...ok, name: '   ' }).success).toBe(false);
    expect(enrolRequestSchema.safeParse({ ...ok, name: 'x'.repeat(101) }).success).toBe(false);
    expect(enrolRequestSchema.safeParse({ ...ok, token: 'gic-enrol-short' }).success).toBe(false);
    expect(enrolRequestSchema.safeParse({ ...ok, softwareVersion: 'v'.repeat(51) }).success).toBe(false);
  });
});

describe('enrolResponseSchema', () => {
  const ok = {
    deviceId: 'edge-0123456789ab',
    mqttUrl: 'mqtts://hub.example.org:8883',
    hubUrl: 'https://hub.example.org',
    brokerAudience: 'gic-broker',
    hubAudience: 'gic-hub-api',
    enrolledAt: new Date().toISOString(),
  };

  it('accepts the hub reply', () => {
    expect(enrolResponseSchema.parse(ok)).toEqual(ok);
    expect(enrolResponseSchema.safeParse({ ...ok, mqttUrl: 'mqtt://127.0.0.1:1883' }).success).toBe(true);
  });

  it('rejects wrong protocols, bad device ids and dates', () => {
    expect(enrolResponseSchema.safeParse({ ...ok, mqttUrl: 'https://hub.example.org' }).success).toBe(false);
    expect(enrolResponseSchema.safeParse({ ...ok, hubUrl: 'mqtt://hub.example.org' }).success).toBe(false);
    expect(enrolResponseSchema.safeParse({ ...ok, hubUrl: 'not a url' }).success).toBe(false);
    expect(enrolResponseSchema.safeParse({ ...ok, deviceId: 'Edge_1' }).success).toBe(false);
    expect(enrolResponseSchema.safeParse({ ...ok, deviceId: '../x' }).success).toBe(false);
    expect(enrolResponseSchema.safeParse({ ...ok, enrolledAt: 'yesterday' }).success).toBe(false);
  });
});

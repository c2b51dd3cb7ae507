import { importJWK, type JWK, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateDeviceKeyPair } from './device-keys.js';
import {
  BROKER_AUDIENCE,
  DeviceTokenError,
  HUB_API_AUDIENCE,
  signDeviceToken,
  verifyDeviceToken,
} from './device-token.js';

const deviceId = 'edge-0123456789ab';
let privateJwk: JWK;
let publicJwk: JWK;

beforeAll(async () => {
  ({ privateJwk, publicJwk } = await generateDeviceKeyPair());
});

/** Signs arbitrary claims with the device key, bypassing signDeviceToken's own rules. */
async function craft(claims: { iat: number; exp: number; iss?: string; sub?: string; aud?: string }) {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'EdDSA' })
    .setIssuer(claims.iss ?? deviceId)
    .setSubject(claims.sub ?? deviceId)
    .setAudience(claims.aud ?? HUB_API_AUDIENCE)
    .setIssuedAt(claims.iat)
    .setExpirationTime(claims.exp)
    .sign(await importJWK(privateJwk, 'EdDSA'));
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

async function rejection(promise: Promise<unknown>): Promise<DeviceTokenError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeviceTokenError);
  return error as DeviceTokenError;
}

describe('device tokens', () => {
  it('verifies a token the device signed', async () => {
    const before = Date.now();
    const token = await signDeviceToken(privateJwk, { deviceId, audience: BROKER_AUDIENCE });
    const result = await verifyDeviceToken(token, publicJwk, { deviceId, audience: BROKER_AUDIENCE });
    expect(result.deviceId).toBe(deviceId);
    expect(result.expiresAt.getTime()).toBeGreaterThan(before + 290_000);
    expect(result.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 300_000);
  });

  it('gives each token its own jti', async () => {
    const a = await signDeviceToken(privateJwk, { deviceId, audience: BROKER_AUDIENCE });
    const b = await signDeviceToken(privateJwk, { deviceId, audience: BROKER_AUDIENCE });
    expect(a).not.toBe(b);
  });

  it('rejects a token for another audience', async () => {
    const token = await signDeviceToken(privateJwk, { deviceId, audience: BROKER_AUDIENCE });
    const error = await rejection(
      verifyDeviceToken(token, publicJwk, { deviceId, audience: HUB_API_AUDIENCE }),
    );
    expect(error.message).toMatch(/aud/);
  });

  it('rejects a token for another device id', async () => {
    const token = await signDeviceToken(privateJwk, { deviceId, audience: HUB_API_AUDIENCE });
    await rejection(
      verifyDeviceToken(token, publicJwk, { deviceId: 'edge-other', audience: HUB_API_AUDIENCE }),
    );
  });

  it('rejects a token whose issuer and subject disagree', async () => {
    const now = nowSeconds();
    const token = await craft({ iat: now, exp: now + 60, sub: 'edge-other' });
    await rejection(verifyDeviceToken(token, publicJwk, { deviceId, audience: HUB_API_AUDIENCE }));
  });

  it('rejects an expired token, beyond the clock tolerance', async () => {
    const now = nowSeconds();
    const token = await craft({ iat: now - 400, exp: now - 100 });
    const error = await rejection(
      verifyDeviceToken(token, publicJwk, { deviceId, audience: HUB_API_AUDIENCE }),
    );
    expect(error.message).toMatch(/exp/);
  });

  it('accepts a token just expired within the 30 s tolerance', async () => {
    const now = nowSeconds();
    const token = await craft({ iat: now - 300, exp: now - 10 });
    await expect(
      verifyDeviceToken(token, publicJwk, { deviceId, audience: HUB_API_AUDIENCE }),
    ).resolves.toMatchObject({ deviceId });
  });

  it('rejects a token with too long a lifetime', async () => {
    const now = nowSeconds();
    const token = await craft({ iat: now, exp: now + 3600 });
    const error = await rejection(
      verifyDeviceToken(token, publicJwk, { deviceId, audience: HUB_API_AUDIENCE }),
    );
    expect(error.message).toMatch(/lifetime/);
    const signed = await signDeviceToken(privateJwk, {
      deviceId,
      audience: HUB_API_AUDIENCE,
      ttlSeconds: 600,
    });
    await rejection(
      verifyDeviceToken(signed, publicJwk, { deviceId, audience: HUB_API_AUDIENCE, maxTtlSeconds: 300 }),
    );
  });

  it('rejects a token issued in the future (which would stretch its life)', async () => {
    const now = nowSeconds();
    const token = await craft({ iat: now + 86_400, exp: now + 86_400 + 300 });
    await rejection(verifyDeviceToken(token, publicJwk, { deviceId, audience: HUB_API_AUDIENCE }));
  });

  it('rejects a token signed by another key', async () => {
    const other = await generateDeviceKeyPair();
    const token = await signDeviceToken(other.privateJwk, { deviceId, audience: HUB_API_AUDIENCE });
    const error = await rejection(
      verifyDeviceToken(token, publicJwk, { deviceId, audience: HUB_API_AUDIENCE }),
    );
    expect(error.message).toMatch(/signature/);
  });

  it('rejects an unsigned alg none token and garbage', async () => {
    const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const now = nowSeconds();
    const claims = { iss: deviceId, sub: deviceId, aud: HUB_API_AUDIENCE, iat: now, exp: now + 60 };
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    for (const token of [unsigned, 'not-a-jwt', '', 'a.b.c']) {
      await rejection(verifyDeviceToken(token, publicJwk, { deviceId, audience: HUB_API_AUDIENCE }));
    }
  });

  it('refuses to verify with an empty device id or a private key as the registered key', async () => {
    const token = await signDeviceToken(privateJwk, { deviceId, audience: HUB_API_AUDIENCE });
    await rejection(verifyDeviceToken(token, publicJwk, { deviceId: '', audience: HUB_API_AUDIENCE }));
    await rejection(verifyDeviceToken(token, privateJwk, { deviceId, audience: HUB_API_AUDIENCE }));
  });

  it('refuses to sign with a nonsensical lifetime', async () => {
    await rejection(signDeviceToken(privateJwk, { deviceId, audience: HUB_API_AUDIENCE, ttlSeconds: 0 }));
    await rejection(signDeviceToken(privateJwk, { deviceId, audience: HUB_API_AUDIENCE, ttlSeconds: 1.5 }));
  });
});

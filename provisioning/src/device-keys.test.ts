import { importJWK, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { generateDeviceKeyPair, privateJwkSchema, publicJwkSchema } from './device-keys.js';

describe('generateDeviceKeyPair', () => {
  it('makes an Ed25519 pair whose halves sign and verify together', async () => {
    const { privateJwk, publicJwk } = await generateDeviceKeyPair();
    expect(privateJwkSchema.parse(privateJwk)).toEqual(privateJwk);
    expect(publicJwkSchema.parse(publicJwk)).toEqual({ kty: 'OKP', crv: 'Ed25519', x: privateJwk.x });
    const token = await new SignJWT({ hello: 'edge' })
      .setProtectedHeader({ alg: 'EdDSA' })
      .sign(await importJWK(privateJwk, 'EdDSA'));
    const { payload } = await jwtVerify(token, await importJWK(publicJwk, 'EdDSA'));
    expect(payload.hello).toBe('edge');
  });

  it('makes a different pair each time', async () => {
    const a = await generateDeviceKeyPair();
    const b = await generateDeviceKeyPair();
    expect(a.publicJwk.x).not.toBe(b.publicJwk.x);
  });
});

describe('publicJwkSchema', () => {
  it('drops extra members', async () => {
    const { publicJwk } = await generateDeviceKeyPair();
    expect(publicJwkSchema.parse({ ...publicJwk, alg: 'EdDSA', kid: 'k1' })).toEqual(publicJwk);
  });

  it('refuses a JWK carrying the private part d', async () => {
    const { privateJwk } = await generateDeviceKeyPair();
    const result = publicJwkSchema.safeParse(privateJwk);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['d']);
  });

  it('refuses other key types, curves and malformed x', async () => {
    const { publicJwk } = await generateDeviceKeyPair();
    expect(publicJwkSchema.safeParse({ ...publicJwk, kty: 'EC' }).success).toBe(false);
    expect(publicJwkSchema.safeParse({ ...publicJwk, crv: 'X25519' }).success).toBe(false);
    expect(publicJwkSchema.safeParse({ ...publicJwk, x: 'short' }).success).toBe(false);
    expect(publicJwkSchema.safeParse({ ...publicJwk, x: `${publicJwk.x!.slice(0, 42)}=` }).success).toBe(
      false,
    );
  });
});

import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { z } from 'zod';

/** An Ed25519 key component (32 bytes) in unpadded base64url: always 43 characters. */
const ed25519Component = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'must be 43 base64url characters (32 bytes)');

/**
 * An Ed25519 public key as a JWK. Extra members (alg, kid, use…) are dropped, but a JWK carrying the private
 * part `d` is refused outright: accepting and silently stripping it would let a device post its private key
 * to the hub, where it would sit in logs and request bodies.
 */
export const publicJwkSchema = z
  .looseObject({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: ed25519Component })
  .refine((jwk) => !('d' in jwk), {
    message: 'a public key must not contain the private part d',
    path: ['d'],
  })
  .transform(({ kty, crv, x }) => ({ kty, crv, x }));
export type PublicJwk = z.infer<typeof publicJwkSchema>;

/** An Ed25519 private key as a JWK (the public part x together with the private part d). */
export const privateJwkSchema = z.object({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: ed25519Component,
  d: ed25519Component,
});
export type PrivateJwk = z.infer<typeof privateJwkSchema>;

/** Generates a device's Ed25519 signing key pair, both halves as JWKs so they can be stored as JSON. */
export async function generateDeviceKeyPair(): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const [privateJwk, publicJwk] = await Promise.all([exportJWK(privateKey), exportJWK(publicKey)]);
  return { privateJwk, publicJwk };
}

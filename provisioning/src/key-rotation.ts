import type { JWK } from 'jose';
import { z } from 'zod';
import { publicJwkSchema } from './device-keys.js';
import { signDeviceToken } from './device-token.js';

/** Audience of the proof a device signs with its new key when it rotates its key pair. */
export const KEY_ROTATION_AUDIENCE = 'gic-key-rotation';

/**
 * `POST /api/v1/devices/me/key`: the new public key, and a short-lived token signed with the new
 * private key (the proof that the device holds it). The request itself is signed with the current key,
 * so the device proves both.
 */
export const keyRotationRequestSchema = z.object({
  publicKey: publicJwkSchema,
  proof: z.string().min(1).max(4096),
});
export type KeyRotationRequest = z.infer<typeof keyRotationRequestSchema>;

/** The body a device posts to rotate to `next` (a key pair it made itself). */
export async function keyRotationRequest(
  deviceId: string,
  next: { privateJwk: JWK; publicJwk: JWK },
): Promise<KeyRotationRequest> {
  const proof = await signDeviceToken(next.privateJwk, {
    deviceId,
    audience: KEY_ROTATION_AUDIENCE,
    ttlSeconds: 300,
  });
  return { publicKey: publicJwkSchema.parse(next.publicJwk), proof };
}

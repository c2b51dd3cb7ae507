import { randomUUID } from 'node:crypto';
import { importJWK, type JWK, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { publicJwkSchema } from './device-keys.js';

/** The only algorithm device tokens may use; verification pins it so `none` or HMAC tricks cannot apply. */
export const DEVICE_TOKEN_ALG = 'EdDSA';
/** Audience of tokens a device presents as its MQTT password. */
export const BROKER_AUDIENCE = 'gic-broker';
/** Audience of tokens a device presents as a bearer token to the hub's HTTP API. */
export const HUB_API_AUDIENCE = 'gic-hub-api';

/** Slack for edge boxes whose clocks drift a little from the hub's. */
const CLOCK_TOLERANCE_SECONDS = 30;

/** A device token was malformed, badly signed, for someone else, expired or too long-lived. */
export class DeviceTokenError extends Error {
  override readonly name = 'DeviceTokenError';
}

/** What a device token is for and how long it lives. */
export interface SignDeviceTokenOptions {
  deviceId: string;
  audience: string;
  /** Lifetime in seconds; keep it short, the device can always sign a fresh one. */
  ttlSeconds?: number;
}

/** What a verifier expects of a device token. */
export interface VerifyDeviceTokenOptions {
  deviceId: string;
  audience: string;
  /** The longest lifetime (exp - iat) accepted, so a leaked token cannot stay useful for long. */
  maxTtlSeconds?: number;
}

/** Signs a short-lived JWT with the device's own private key; the device is both its issuer and subject. */
export async function signDeviceToken(
  privateJwk: JWK,
  { deviceId, audience, ttlSeconds = 300 }: SignDeviceTokenOptions,
): Promise<string> {
  if (!deviceId) throw new DeviceTokenError('cannot sign a device token without a device id');
  if (!audience) throw new DeviceTokenError('cannot sign a device token without an audience');
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new DeviceTokenError(
      `token lifetime must be a positive whole number of seconds, got ${ttlSeconds}`,
    );
  }
  const key = await importJWK(privateJwk, DEVICE_TOKEN_ALG);
  // One clock reading for both claims so exp - iat is exactly the requested lifetime.
  const now = Math.floor(Date.now() / 1000);
  return (
    new SignJWT({})
      // The key id is the device id: a broker verifying against the hub's JWKS picks the key by it.
      .setProtectedHeader({ alg: DEVICE_TOKEN_ALG, typ: 'JWT', kid: deviceId })
      .setIssuer(deviceId)
      .setSubject(deviceId)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .setJti(randomUUID())
      .sign(key)
  );
}

/**
 * Checks a device token against the public key registered for `deviceId`: algorithm, signature, audience,
 * issuer and subject, expiry, and that the device did not give it a lifetime over `maxTtlSeconds` nor an
 * issue time in the future (which would otherwise stretch its useful life). Throws DeviceTokenError.
 */
export async function verifyDeviceToken(
  token: string,
  publicJwk: JWK,
  { deviceId, audience, maxTtlSeconds = 900 }: VerifyDeviceTokenOptions,
): Promise<{ deviceId: string; expiresAt: Date }> {
  // jose skips the issuer, subject and audience checks when they are empty, so empty must fail here.
  if (!deviceId) throw new DeviceTokenError('device token check needs the expected device id');
  if (!audience) throw new DeviceTokenError('device token check needs the expected audience');
  const parsedKey = publicJwkSchema.safeParse(publicJwk);
  if (!parsedKey.success) {
    throw new DeviceTokenError(`the key registered for device ${deviceId} is not an Ed25519 public key`);
  }
  let payload: JWTPayload;
  try {
    const key = await importJWK(parsedKey.data, DEVICE_TOKEN_ALG);
    ({ payload } = await jwtVerify(token, key, {
      algorithms: [DEVICE_TOKEN_ALG],
      audience,
      issuer: deviceId,
      subject: deviceId,
      requiredClaims: ['exp', 'iat'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      // Besides bounding the token's age this makes jose refuse an iat in the future.
      maxTokenAge: maxTtlSeconds,
    }));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DeviceTokenError(`device token rejected: ${reason}`, { cause: error });
  }
  const { exp, iat } = payload;
  // jose has already required both; this only narrows the types.
  if (exp === undefined || iat === undefined)
    throw new DeviceTokenError('device token rejected: no exp or iat');
  if (exp - iat > maxTtlSeconds) {
    throw new DeviceTokenError(
      `device token rejected: lifetime ${exp - iat} s exceeds the allowed ${maxTtlSeconds} s`,
    );
  }
  return { deviceId, expiresAt: new Date(exp * 1000) };
}

import { HUB_API_AUDIENCE, verifyDeviceToken } from '@gic/provisioning/device-token.js';
import { isValidDeviceId } from '@gic/shared/messages/topics.js';
import { decodeJwt } from 'jose';
import type { Queryable } from '../db/database.js';
import { findActiveDevice } from './devices-repo.js';

/**
 * Checks a device-signed JWT against the public key registered at enrolment. The token's subject
 * names the device; the signature, audience and expiry decide. Resolves with the device id.
 */
export async function authenticateDevice(
  db: Queryable,
  token: string,
  audience = HUB_API_AUDIENCE,
): Promise<string> {
  let subject: unknown;
  try {
    subject = decodeJwt(token).sub;
  } catch {
    throw new Error('token is not a JWT');
  }
  if (typeof subject !== 'string' || !isValidDeviceId(subject))
    throw new Error('token names no valid device');
  const device = await findActiveDevice(db, subject);
  if (!device) throw new Error(`device ${subject} is unknown or revoked`);
  const { deviceId } = await verifyDeviceToken(token, device.public_jwk, { deviceId: subject, audience });
  return deviceId;
}

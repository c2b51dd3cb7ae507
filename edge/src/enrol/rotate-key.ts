import { existsSync, rmSync } from 'node:fs';
import {
  type DeviceCredentials,
  loadDeviceCredentials,
  saveDeviceCredentials,
} from '@gic/provisioning/device-credentials.js';
import { generateDeviceKeyPair } from '@gic/provisioning/device-keys.js';
import { keyRotationRequest } from '@gic/provisioning/key-rotation.js';
import type { Logger } from '@gic/shared/logging/logger.js';
import { HubClient, HubError } from '../sync/hub-client.js';

/** Where a rotation in progress keeps the new key pair until the hub has taken it. */
export const nextCredentialsPath = (credentialsPath: string) => `${credentialsPath}.next`;

/** When the box's key pair was made (at enrolment unless it rotated since). */
export const keyCreatedAt = (c: DeviceCredentials) => new Date(c.keyCreatedAt ?? c.enrolledAt);

/** Whether a key made at `createdAt` is due for rotation, every `everyDays` (0: never). */
export function keyRotationDue(createdAt: Date, everyDays: number, now = new Date()): boolean {
  return everyDays > 0 && now.getTime() - createdAt.getTime() >= everyDays * 86_400_000;
}

/**
 * Rotates the box's key pair, proving both keys to the hub (see the hub's device-key-routes.ts), and
 * switches `credentials` (the object every signer reads) to the new pair. Crash-safe: the new pair is
 * written beside the credentials first and kept until the hub has answered, so a rotation cut short
 * is finished at the next call with the same pair, whether or not the hub took it before the crash.
 */
export async function rotateDeviceKey(
  credentialsPath: string,
  credentials: DeviceCredentials,
  log: Logger,
): Promise<'rotated' | 'finished'> {
  const nextPath = nextCredentialsPath(credentialsPath);
  let next = existsSync(nextPath) ? loadDeviceCredentials(nextPath) : undefined;
  if (next && next.deviceId !== credentials.deviceId) next = undefined; // another enrolment's leftover
  if (!next) {
    const pair = await generateDeviceKeyPair();
    next = {
      ...credentials,
      privateJwk: pair.privateJwk,
      publicJwk: pair.publicJwk,
      keyCreatedAt: new Date().toISOString(),
    } as DeviceCredentials;
    saveDeviceCredentials(nextPath, next);
  }
  const body = await keyRotationRequest(credentials.deviceId, next);
  let outcome: 'rotated' | 'finished' = 'rotated';
  try {
    await new HubClient(credentials).request('POST', '/api/v1/devices/me/key', body);
  } catch (err) {
    if (!(err instanceof HubError && err.status === 401)) throw err;
    // The old key is refused: the hub may have taken the new one before this box could save it.
    const reply = await new HubClient(next).request<{ rotated: boolean }>(
      'POST',
      '/api/v1/devices/me/key',
      body,
    );
    if (reply.rotated) throw new Error('the hub rotated to the new key only when asked with it');
    outcome = 'finished';
  }
  saveDeviceCredentials(credentialsPath, next);
  rmSync(nextPath, { force: true });
  Object.assign(credentials, next);
  log.info({ deviceId: credentials.deviceId, outcome }, 'device key rotated');
  return outcome;
}

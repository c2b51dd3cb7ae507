import { copyFileSync } from 'node:fs';
import {
  type DeviceCredentials,
  loadDeviceCredentials,
  saveDeviceCredentials,
} from '@gic/provisioning/device-credentials.js';
import { generateDeviceKeyPair } from '@gic/provisioning/device-keys.js';
import { enrolResponseSchema } from '@gic/provisioning/enrolment-messages.js';
import type { Logger } from '@gic/shared/logging/logger.js';
import { HubClient, HubError } from '../sync/hub-client.js';

export interface EnrolOptions {
  credentialsPath: string;
  hubUrl: string;
  name: string;
  token?: string;
  softwareVersion: string;
}

/**
 * Returns this box's credentials, enrolling first when it has none: it makes its own Ed25519 key
 * pair (the private key never leaves the box), presents the one-time token and its public key to the
 * hub, and keeps the device id and addresses the hub gives back.
 */
export async function ensureEnrolled(options: EnrolOptions, log: Logger): Promise<DeviceCredentials> {
  const existing = loadDeviceCredentials(options.credentialsPath);
  if (existing && !options.token) return existing;
  if (existing) {
    // A token beside credentials: enrol again only if the hub refuses this identity (revoked). Its
    // un-synced data stays in the outbox and is sent under the new one (the hub hands the old
    // device's data over when the token names it: `replaces`).
    if (!(await refusedByHub(existing))) return existing;
    log.warn(
      { deviceId: existing.deviceId },
      'the hub refuses this box (revoked); enrolling again with GIC_ENROLMENT_TOKEN',
    );
  }
  if (!options.token) {
    throw new Error(
      'this edge box is not enrolled: set GIC_ENROLMENT_TOKEN to a token from the hub (POST /api/v1/devices/enrolment-tokens)',
    );
  }
  const { privateJwk, publicJwk } = await generateDeviceKeyPair();
  const res = await fetch(new URL('/api/v1/devices/enrol', options.hubUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      token: options.token,
      name: options.name,
      publicKey: publicJwk,
      softwareVersion: options.softwareVersion,
    }),
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok)
    throw new Error(`enrolment refused by ${options.hubUrl}: ${res.status} ${body.error ?? ''}`.trim());
  const reply = enrolResponseSchema.parse(body);
  const credentials = {
    deviceId: reply.deviceId,
    privateJwk,
    publicJwk,
    mqttUrl: reply.mqttUrl,
    hubUrl: reply.hubUrl,
    enrolledAt: reply.enrolledAt,
  } as DeviceCredentials;
  // The old identity is kept beside the new one, for the record (it no longer opens anything).
  if (existing)
    copyFileSync(options.credentialsPath, `${options.credentialsPath}.${existing.deviceId}.revoked`);
  saveDeviceCredentials(options.credentialsPath, credentials);
  log.info({ deviceId: reply.deviceId, hubUrl: reply.hubUrl }, 'enrolled with hub');
  return credentials;
}

/**
 * Whether the hub refuses these credentials (401: revoked or unknown). A hub that cannot be reached,
 * or answers otherwise, refuses nothing: the box keeps its identity.
 */
async function refusedByHub(credentials: DeviceCredentials): Promise<boolean> {
  try {
    await new HubClient(credentials, 10_000).request('GET', '/api/v1/devices/me/room-credentials');
    return false;
  } catch (err) {
    return err instanceof HubError && err.status === 401;
  }
}

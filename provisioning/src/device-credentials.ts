import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { privateJwkSchema, publicJwkSchema } from './device-keys.js';
import { deviceIdSchema, hubUrlSchema, mqttUrlSchema } from './enrolment-messages.js';

/** What an enrolled edge box keeps on disk: its identity, its key pair and where to connect. */
export const deviceCredentialsSchema = z
  .object({
    deviceId: deviceIdSchema,
    privateJwk: privateJwkSchema,
    publicJwk: publicJwkSchema,
    mqttUrl: mqttUrlSchema,
    hubUrl: hubUrlSchema,
    enrolledAt: z.iso.datetime({ offset: true }),
    /** When this key pair was made, if not at enrolment (the box rotated it since). */
    keyCreatedAt: z.iso.datetime({ offset: true }).optional(),
  })
  // A mismatched pair would sign tokens the hub can never verify; better to fail when loading.
  .refine((c) => c.privateJwk.x === c.publicJwk.x, {
    message: 'private and public keys are not a pair',
    path: ['publicJwk', 'x'],
  });
export type DeviceCredentials = z.infer<typeof deviceCredentialsSchema>;

/**
 * Writes the credentials atomically: a crash leaves either the old file or the new one, never half of
 * either. The file holds the private key, so it is created 0600 in a 0700 folder.
 */
export function saveDeviceCredentials(path: string, creds: DeviceCredentials): void {
  const valid = deviceCredentialsSchema.parse(creds);
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp`;
  // A leftover temp file from a crash would keep its old mode, so start afresh.
  rmSync(tmp, { force: true });
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(valid, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  // Make the rename itself durable.
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/**
 * Reads the credentials; undefined when the file does not exist (the box is not enrolled yet). Throws,
 * naming the path and every problem, when the file is not JSON or not valid credentials.
 */
export function loadDeviceCredentials(path: string): DeviceCredentials | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // The parser's message quotes the file's text, which may hold the private key: leave it out.
    throw new Error(`device credentials file ${path} is not valid JSON`, { cause: error });
  }
  const parsed = deviceCredentialsSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`device credentials file ${path} is invalid: ${problems.join('; ')}`);
  }
  return parsed.data;
}

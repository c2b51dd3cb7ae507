import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { S3Credentials } from './s3-request-auth.js';

/** Where a hub keeps its embedded S3 server's generated key pair, in its data directory (mode 0600). */
export const EMBEDDED_S3_CREDENTIALS_FILE = 's3-credentials.json';

/** A fresh key pair: an access key id of 20 and a secret of 40 characters, as S3's look. */
export function randomS3Credentials(): S3Credentials {
  return {
    accessKeyId: `GIC${randomBytes(10).toString('hex').toUpperCase().slice(0, 17)}`,
    secretAccessKey: randomBytes(30).toString('base64url'),
  };
}

/**
 * The embedded S3 server's key pair: the one configured (S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY,
 * both or neither), otherwise the one generated at the data directory's first start and kept in
 * `s3-credentials.json` (0600), which every hub process sharing the directory reads. Never a fixed
 * pair: the server refuses every request not signed with it.
 */
export function embeddedS3Credentials(
  dataDir: string,
  configured: { accessKeyId: string; secretAccessKey: string },
): S3Credentials {
  if (configured.accessKeyId && configured.secretAccessKey) return configured;
  if (configured.accessKeyId || configured.secretAccessKey)
    throw new Error(
      'set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither (the hub then makes a pair)',
    );
  const file = join(dataDir, EMBEDDED_S3_CREDENTIALS_FILE);
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // Written whole under another name, then linked into place only if no pair is there yet: a
    // process never reads half a pair, and of two starting at once, both use the first one linked.
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(randomS3Credentials())}\n`, { mode: 0o600 });
    try {
      linkSync(temp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(temp);
    }
  }
  let parsed: Partial<S3Credentials>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<S3Credentials>;
  } catch (err) {
    throw new Error(
      `${file} is not the key pair the hub wrote (${(err as Error).message}): remove it to make a new one`,
    );
  }
  if (typeof parsed.accessKeyId !== 'string' || typeof parsed.secretAccessKey !== 'string')
    throw new Error(`${file} has no accessKeyId and secretAccessKey: remove it to make a new one`);
  return { accessKeyId: parsed.accessKeyId, secretAccessKey: parsed.secretAccessKey };
}

/**
 * The key pair a hub process signs its object-store requests with: the embedded server's
 * (`embeddedS3Credentials`) when the store is embedded, otherwise the one configured for S3 or MinIO.
 */
export function hubS3Credentials(config: {
  dataDir: string;
  s3: { embedded: boolean; accessKeyId: string; secretAccessKey: string };
}): S3Credentials {
  const configured = { accessKeyId: config.s3.accessKeyId, secretAccessKey: config.s3.secretAccessKey };
  return config.s3.embedded ? embeddedS3Credentials(config.dataDir, configured) : configured;
}

import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  EMBEDDED_S3_CREDENTIALS_FILE,
  embeddedS3Credentials,
  hubS3Credentials,
} from './embedded-s3-credentials.js';

const none = { accessKeyId: '', secretAccessKey: '' };

describe("the embedded S3 server's key pair", () => {
  it('is made once per data directory, kept 0600, and read again by every later start', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'gic-s3-pair-')), 'hub');
    const first = embeddedS3Credentials(dir, none);
    const file = join(dir, EMBEDDED_S3_CREDENTIALS_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(first);
    expect(embeddedS3Credentials(dir, none)).toEqual(first);
    // Another directory, another pair.
    const other = embeddedS3Credentials(join(mkdtempSync(join(tmpdir(), 'gic-s3-pair-')), 'hub'), none);
    expect(other.secretAccessKey).not.toBe(first.secretAccessKey);
  });

  it('is the configured pair when both halves are set, and says so when only one is', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gic-s3-pair-'));
    const given = { accessKeyId: 'OPERATOR', secretAccessKey: 'operator-secret' };
    expect(embeddedS3Credentials(dir, given)).toEqual(given);
    expect(() => embeddedS3Credentials(dir, { ...none, accessKeyId: 'OPERATOR' })).toThrow(
      /set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither/,
    );
  });

  it('names the file when it is not a pair', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gic-s3-pair-'));
    writeFileSync(join(dir, EMBEDDED_S3_CREDENTIALS_FILE), '{"accessKeyId": 1}');
    expect(() => embeddedS3Credentials(dir, none)).toThrow(
      /s3-credentials\.json has no accessKeyId .*remove it/,
    );
  });

  it("is what a hub process signs with when the store is embedded; S3's or MinIO's configured pair otherwise", () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'gic-s3-pair-')), 'hub');
    const embedded = hubS3Credentials({ dataDir, s3: { embedded: true, ...none } });
    expect(embedded).toEqual(embeddedS3Credentials(dataDir, none));
    expect(embedded.secretAccessKey).not.toBe('');
    const given = { accessKeyId: 'MINIO', secretAccessKey: 'minio-secret' };
    expect(hubS3Credentials({ dataDir, s3: { embedded: false, ...given } })).toEqual(given);
  });
});

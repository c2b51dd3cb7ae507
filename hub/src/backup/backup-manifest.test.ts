import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type BackupManifest,
  DATABASE_FILE,
  MANIFEST,
  objectPath,
  readManifest,
  verifyBackup,
} from './backup-manifest.js';
import { pruneBackups } from './hub-backup.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const root = mkdtempSync(join(tmpdir(), 'gic-manifest-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A backup folder with a database file and two objects, as backupHub writes it. */
function writeBackup(name: string, at: string): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'objects/recordings/d1'), { recursive: true });
  writeFileSync(join(dir, DATABASE_FILE), 'db');
  writeFileSync(join(dir, 'objects/recordings/d1/a.mp4'), 'aaaa');
  writeFileSync(join(dir, 'objects/b.json'), 'bb');
  const manifest: BackupManifest = {
    format: 'gic-hub-backup/1',
    at,
    hubVersion: '0.1.0',
    database: { file: DATABASE_FILE, sha256: sha('db'), bytes: 2, migrations: [], tables: {}, sequences: {} },
    objects: [
      { key: 'recordings/d1/a.mp4', bytes: 4, sha256: sha('aaaa') },
      { key: 'b.json', bytes: 2, sha256: sha('bb') },
    ],
    counts: { procedures: 0, recordings: 0, chatMessages: 0, auditRecords: 0 },
    took: { databaseSeconds: 0, objectsSeconds: 0, objectsCopied: 6, objectsLinked: 0 },
  };
  writeFileSync(join(dir, MANIFEST), JSON.stringify(manifest));
  return dir;
}

describe('a backup folder', () => {
  it('is whole when every file matches the manifest', async () => {
    const dir = writeBackup('gic-backup-whole', new Date().toISOString());
    expect(await verifyBackup(dir, readManifest(dir))).toEqual([]);
  });

  it('lists every file that is missing, of another size or of another SHA-256', async () => {
    const dir = writeBackup('gic-backup-damaged', new Date().toISOString());
    rmSync(join(dir, 'objects/b.json'));
    writeFileSync(join(dir, 'objects/recordings/d1/a.mp4'), 'aaab');
    writeFileSync(join(dir, DATABASE_FILE), 'dbx');
    expect(await verifyBackup(dir, readManifest(dir))).toEqual([
      `${DATABASE_FILE}: 3 bytes, the manifest says 2`,
      'objects/recordings/d1/a.mp4: SHA-256 differs from the manifest',
      'objects/b.json: missing',
    ]);
  });

  it('refuses a folder that is missing, has no manifest, or a manifest of another shape', () => {
    expect(() => readManifest(join(root, 'nothing'))).toThrow(/does not exist/);
    mkdirSync(join(root, 'empty'));
    expect(() => readManifest(join(root, 'empty'))).toThrow(/has no manifest.json/);
    writeFileSync(join(root, 'empty', MANIFEST), '{"format":"other"}');
    expect(() => readManifest(join(root, 'empty'))).toThrow(/not a GI Copilot hub backup manifest/);
    writeFileSync(join(root, 'empty', MANIFEST), '{');
    expect(() => readManifest(join(root, 'empty'))).toThrow(/is not JSON/);
  });

  it('keeps object keys inside objects/', () => {
    expect(objectPath('/b', 'recordings/x.mp4')).toBe('/b/objects/recordings/x.mp4');
    for (const key of ['../x', 'a/../../x', '/etc/passwd', ''])
      expect(() => objectPath('/b', key)).toThrow(/cannot be stored/);
  });
});

describe('retention', () => {
  it('removes backups older than the days kept, never the newest', () => {
    const dir = join(root, 'retention');
    mkdirSync(dir);
    const now = new Date('2026-12-03T00:00:00Z');
    const old = new Date(now.getTime() - 31 * 86_400_000).toISOString();
    const recent = new Date(now.getTime() - 29 * 86_400_000).toISOString();
    const at = (name: string, when: string) => writeBackup(join('retention', name), when);
    at('gic-backup-1', old);
    at('gic-backup-2', recent);
    expect(pruneBackups(dir, 30, now)).toEqual(['gic-backup-1']);
    expect(pruneBackups(dir, 1, now)).toEqual([]); // the newest stays, however old
  });
});

import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';
import type { DatabaseDump } from './database-dump.js';

/** One object of the store, as copied into the backup's `objects/` folder under its key. */
export interface BackedUpObject {
  key: string;
  bytes: number;
  sha256: string;
  contentType?: string;
  /** The store's ETag when copied: a later backup links an object of the same key, size and ETag. */
  etag?: string;
}

/** `manifest.json`: what a backup holds and the SHA-256 of every file in it. */
export interface BackupManifest {
  format: 'gic-hub-backup/1';
  /** When the database snapshot was taken (ISO 8601). */
  at: string;
  hubVersion: string;
  database: DatabaseDump & { file: string; sha256: string; bytes: number };
  objects: BackedUpObject[];
  counts: { procedures: number; recordings: number; chatMessages: number; auditRecords: number };
  /** Seconds spent on the database and on the objects, and bytes of objects copied or linked. */
  took: { databaseSeconds: number; objectsSeconds: number; objectsCopied: number; objectsLinked: number };
}

export const MANIFEST = 'manifest.json';
export const DATABASE_FILE = 'database.jsonl.gz';
export const OBJECTS_DIR = 'objects';
/** Backup folders are named `gic-backup-<time>`; one being written ends in `.partial`. */
export const BACKUP_PREFIX = 'gic-backup-';

/** The counts the manifest and the restore report, from rows per table. */
export function countsOf(tables: Record<string, number>): BackupManifest['counts'] {
  return {
    procedures: tables.procedures ?? 0,
    recordings: tables.recordings ?? 0,
    chatMessages: tables.chat_messages ?? 0,
    auditRecords: tables.audit_log ?? 0,
  };
}

/** Where an object's key lies under `objects/`; refuses keys that would leave it. */
export function objectPath(backupDir: string, key: string): string {
  const rel = normalize(key);
  if (!key || isAbsolute(key) || rel.startsWith('..') || rel.split(sep).includes('..') || key.includes('\0'))
    throw new Error(`object key ${JSON.stringify(key)} cannot be stored in a folder`);
  return join(backupDir, OBJECTS_DIR, rel);
}

export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Reads and checks the shape of a backup's manifest; every problem is said in words. */
export function readManifest(backupDir: string): BackupManifest {
  if (!existsSync(backupDir)) throw new Error(`${backupDir} does not exist`);
  if (!statSync(backupDir).isDirectory()) throw new Error(`${backupDir} is not a folder`);
  const file = join(backupDir, MANIFEST);
  if (!existsSync(file))
    throw new Error(
      `${backupDir} has no ${MANIFEST}: not a backup, or one that did not finish (${BACKUP_PREFIX}*.partial)`,
    );
  let m: BackupManifest;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as BackupManifest;
  } catch (err) {
    throw new Error(`${file} is not JSON (${(err as Error).message})`);
  }
  const ok =
    m &&
    m.format === 'gic-hub-backup/1' &&
    typeof m.at === 'string' &&
    m.database &&
    typeof m.database.file === 'string' &&
    /^[0-9a-f]{64}$/.test(m.database.sha256) &&
    Array.isArray(m.database.migrations) &&
    Array.isArray(m.objects) &&
    m.objects.every(
      (o) => typeof o.key === 'string' && /^[0-9a-f]{64}$/.test(o.sha256) && Number.isInteger(o.bytes),
    );
  if (!ok) throw new Error(`${file} is not a GI Copilot hub backup manifest (format gic-hub-backup/1)`);
  return m;
}

/**
 * Checks every file the manifest names against its size and SHA-256; returns the problems (empty:
 * the backup is whole). `progress` hears every 10 % of the bytes.
 */
export async function verifyBackup(
  backupDir: string,
  m: BackupManifest,
  progress: (line: string) => void = () => {},
): Promise<string[]> {
  const problems: string[] = [];
  const files = [
    {
      label: m.database.file,
      path: join(backupDir, m.database.file),
      bytes: m.database.bytes,
      sha256: m.database.sha256,
    },
    ...m.objects.map((o) => ({ label: `${OBJECTS_DIR}/${o.key}`, path: objectPath(backupDir, o.key), ...o })),
  ];
  const total = files.reduce((s, f) => s + f.bytes, 0);
  let done = 0;
  let said = 0;
  for (const f of files) {
    if (!existsSync(f.path)) {
      problems.push(`${f.label}: missing`);
      continue;
    }
    const size = statSync(f.path).size;
    if (size !== f.bytes) problems.push(`${f.label}: ${size} bytes, the manifest says ${f.bytes}`);
    else if ((await fileSha256(f.path)) !== f.sha256)
      problems.push(`${f.label}: SHA-256 differs from the manifest`);
    done += f.bytes;
    if (total && done / total >= said + 0.1) {
      said = Math.floor((done / total) * 10) / 10;
      progress(`checked ${Math.round(said * 100)} % (${mib(done)} of ${mib(total)})`);
    }
  }
  return problems;
}

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** The finished backups in `targetDir`, oldest first. */
export function backupsIn(targetDir: string): { dir: string; name: string }[] {
  if (!existsSync(targetDir)) return [];
  return readdirSync(targetDir)
    .filter(
      (n) =>
        n.startsWith(BACKUP_PREFIX) && !n.endsWith('.partial') && existsSync(join(targetDir, n, MANIFEST)),
    )
    .sort()
    .map((name) => ({ name, dir: join(targetDir, name) }));
}

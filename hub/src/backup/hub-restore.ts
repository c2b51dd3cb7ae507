import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { MIGRATIONS_DIR } from '../db/migrate.js';
import type { ObjectStore } from '../storage/object-store.js';
import { type BackupManifest, mib, objectPath, readManifest, verifyBackup } from './backup-manifest.js';
import { restoreDatabase } from './database-dump.js';

/** In the hub's data folder while a restore runs: the hub refuses to start on a half-restored database. */
export const RESTORE_MARKER = 'restore-in-progress';

/** Objects above this go up in parts of this size (S3 takes at most 5 GiB in one PUT). */
const PART_BYTES = 64 * 1024 * 1024;

async function putObject(store: ObjectStore, path: string, key: string, bytes: number, contentType: string) {
  if (bytes <= PART_BYTES) {
    await store.put(key, readFileSync(path), contentType);
    return;
  }
  const uploadId = await store.startMultipart(key, contentType);
  const fd = openSync(path, 'r');
  try {
    const parts: { partNumber: number; etag: string }[] = [];
    const buffer = Buffer.alloc(PART_BYTES);
    for (let offset = 0, partNumber = 1; offset < bytes; offset += PART_BYTES, partNumber++) {
      const n = readSync(fd, buffer, 0, Math.min(PART_BYTES, bytes - offset), offset);
      parts.push({
        partNumber,
        etag: await store.uploadPart(key, uploadId, partNumber, buffer.subarray(0, n)),
      });
    }
    await store.completeMultipart(key, uploadId, parts);
  } catch (err) {
    await store.abortMultipart(key, uploadId);
    throw err;
  } finally {
    closeSync(fd);
  }
}

/** The manifest's counts, read back from the restored database. */
async function countsNow(url: string): Promise<BackupManifest['counts']> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    const { rows } = await client.query<BackupManifest['counts']>(
      `SELECT (SELECT count(*)::int FROM procedures) AS procedures,
              (SELECT count(*)::int FROM recordings) AS recordings,
              (SELECT count(*)::int FROM chat_messages) AS "chatMessages",
              (SELECT count(*)::int FROM audit_log) AS "auditRecords"`,
    );
    return rows[0]!;
  } finally {
    await client.end();
  }
}

export interface RestoreOptions {
  backupDir: string;
  databaseUrl: string;
  store: ObjectStore;
  /** The hub's data folder, for the marker of a restore under way. */
  dataDir: string;
  progress: (line: string) => void;
}

/**
 * Restores a backup made by backupHub: checks every file against the manifest first (and refuses,
 * listing every problem, before touching anything), then replaces the database and puts every object
 * back. A marker in the data folder says a restore is under way until it has finished: if it is
 * interrupted, the hub refuses to start and the restore is simply run again.
 */
export async function restoreHub(options: RestoreOptions): Promise<{
  manifest: BackupManifest;
  counts: BackupManifest['counts'];
  seconds: { verify: number; database: number; objects: number };
}> {
  const { backupDir, progress, store } = options;
  const manifest = readManifest(backupDir);
  progress(
    `backup of ${manifest.at} (hub ${manifest.hubVersion}): ${manifest.objects.length} objects, database ${mib(manifest.database.bytes)}`,
  );
  const t0 = Date.now();
  const problems = await verifyBackup(backupDir, manifest, progress);
  if (problems.length)
    throw new Error(
      `the backup in ${backupDir} is damaged; nothing was restored:\n  ${problems.slice(0, 50).join('\n  ')}${problems.length > 50 ? `\n  and ${problems.length - 50} more` : ''}`,
    );
  const verify = (Date.now() - t0) / 1000;
  progress(`every file matches its SHA-256 (${verify.toFixed(1)} s)`);
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const marker = join(options.dataDir, RESTORE_MARKER);
  writeFileSync(marker, `${JSON.stringify({ backup: backupDir, startedAt: new Date().toISOString() })}\n`);
  const t1 = Date.now();
  progress('database: replacing');
  const available = readdirSync(MIGRATIONS_DIR);
  await restoreDatabase(
    options.databaseUrl,
    join(backupDir, manifest.database.file),
    manifest.database,
    available,
    progress,
  );
  const database = (Date.now() - t1) / 1000;
  progress(`database: restored in ${database.toFixed(1)} s`);
  const t2 = Date.now();
  const total = manifest.objects.reduce((s, o) => s + o.bytes, 0);
  let done = 0;
  let lastSaid = Date.now();
  for (const [i, o] of manifest.objects.entries()) {
    await putObject(
      store,
      objectPath(backupDir, o.key),
      o.key,
      o.bytes,
      o.contentType ?? 'application/octet-stream',
    );
    done += o.bytes;
    if (Date.now() - lastSaid > 5_000) {
      lastSaid = Date.now();
      progress(`objects: ${i + 1} of ${manifest.objects.length} (${mib(done)} of ${mib(total)})`);
    }
  }
  const objects = (Date.now() - t2) / 1000;
  progress(`objects: ${manifest.objects.length} (${mib(total)}) put back in ${objects.toFixed(1)} s`);
  const counts = await countsNow(options.databaseUrl);
  const wrong = (Object.keys(manifest.counts) as (keyof BackupManifest['counts'])[]).filter(
    (k) => counts[k] !== manifest.counts[k],
  );
  if (wrong.length)
    throw new Error(
      `restored counts differ from the manifest: ${wrong.map((k) => `${k} ${counts[k]} (manifest ${manifest.counts[k]})`).join(', ')}`,
    );
  if (existsSync(marker)) rmSync(marker);
  return { manifest, counts, seconds: { verify, database, objects } };
}

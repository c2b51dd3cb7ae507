import { createHash } from 'node:crypto';
import {
  createWriteStream,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { ObjectStore } from '../storage/object-store.js';
import {
  BACKUP_PREFIX,
  type BackedUpObject,
  type BackupManifest,
  backupsIn,
  countsOf,
  DATABASE_FILE,
  MANIFEST,
  mib,
  objectPath,
  readManifest,
} from './backup-manifest.js';
import { dumpDatabase } from './database-dump.js';

export const HUB_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Every key in the bucket, with its size and ETag. */
export async function listObjects(
  store: ObjectStore,
): Promise<{ key: string; bytes: number; etag?: string }[]> {
  const found: { key: string; bytes: number; etag?: string }[] = [];
  let token: string | undefined;
  do {
    const page = await store.client.send(
      new ListObjectsV2Command({ Bucket: store.bucket, ...(token ? { ContinuationToken: token } : {}) }),
    );
    for (const o of page.Contents ?? [])
      if (o.Key) found.push({ key: o.Key, bytes: o.Size ?? 0, ...(o.ETag ? { etag: o.ETag } : {}) });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return found;
}

/** Copies one object to `path`, hashing it on the way. */
async function copyObject(store: ObjectStore, key: string, path: string): Promise<BackedUpObject> {
  const out = await store.client.send(new GetObjectCommand({ Bucket: store.bucket, Key: key }));
  const hash = createHash('sha256');
  let bytes = 0;
  mkdirSync(dirname(path), { recursive: true });
  const body = out.Body as Readable;
  body.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.length;
  });
  await pipeline(body, createWriteStream(path, { mode: 0o600 }));
  return {
    key,
    bytes,
    sha256: hash.digest('hex'),
    ...(out.ContentType ? { contentType: out.ContentType } : {}),
    ...(out.ETag ? { etag: out.ETag } : {}),
  };
}

export interface BackupOptions {
  databaseUrl: string;
  store: ObjectStore;
  /** The folder backups go in; each is a folder `gic-backup-<time>` of its own. */
  targetDir: string;
  progress: (line: string) => void;
  now?: Date;
}

/**
 * Backs up the hub: first the database in one snapshot, then every object of the bucket. Objects are
 * written once and never changed, so every object the snapshot refers to is there when the objects
 * are copied after it; objects added since are copied too and do no harm. An object of the same key,
 * size and ETag as in the latest backup in `targetDir` is hard-linked from it, not copied again. The
 * backup is written as `<name>.partial` and renamed when whole: a folder without `.partial` and with
 * its manifest is a finished backup.
 */
export async function backupHub(options: BackupOptions): Promise<{ dir: string; manifest: BackupManifest }> {
  const { store, progress } = options;
  const at = options.now ?? new Date();
  const name = `${BACKUP_PREFIX}${at.toISOString().replace(/[:.]/g, '-')}`;
  mkdirSync(options.targetDir, { recursive: true, mode: 0o700 });
  const dir = join(options.targetDir, name);
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { mode: 0o700 });
  const previous = backupsIn(options.targetDir).at(-1);
  const before = new Map<string, BackedUpObject>();
  if (previous) {
    try {
      for (const o of readManifest(previous.dir).objects) before.set(o.key, o);
    } catch {
      // An unreadable earlier backup: copy everything.
    }
  }
  try {
    const t0 = Date.now();
    progress('database: taking a snapshot');
    const dump = await dumpDatabase(options.databaseUrl, join(partial, DATABASE_FILE), progress);
    const databaseSeconds = (Date.now() - t0) / 1000;
    progress(`database: ${mib(dump.bytes)} in ${databaseSeconds.toFixed(1)} s`);

    const t1 = Date.now();
    const listed = await listObjects(store);
    const total = listed.reduce((s, o) => s + o.bytes, 0);
    progress(`objects: ${listed.length} (${mib(total)}) to copy`);
    const objects: BackedUpObject[] = [];
    let copied = 0;
    let linked = 0;
    let lastSaid = Date.now();
    for (const o of listed) {
      const path = objectPath(partial, o.key);
      const old = before.get(o.key);
      if (old && previous && old.bytes === o.bytes && old.etag && old.etag === o.etag) {
        mkdirSync(dirname(path), { recursive: true });
        linkSync(objectPath(previous.dir, o.key), path);
        objects.push(old);
        linked += o.bytes;
      } else {
        objects.push(await copyObject(store, o.key, path));
        copied += o.bytes;
      }
      if (Date.now() - lastSaid > 5_000) {
        lastSaid = Date.now();
        progress(`objects: ${objects.length} of ${listed.length} (${mib(copied + linked)} of ${mib(total)})`);
      }
    }
    const objectsSeconds = (Date.now() - t1) / 1000;
    progress(
      `objects: ${objects.length} in ${objectsSeconds.toFixed(1)} s (${mib(copied)} copied, ${mib(linked)} linked from ${previous?.name ?? 'no earlier backup'})`,
    );
    const manifest: BackupManifest = {
      format: 'gic-hub-backup/1',
      at: at.toISOString(),
      hubVersion: HUB_VERSION,
      database: { file: DATABASE_FILE, ...dump },
      objects,
      counts: countsOf(dump.tables),
      took: { databaseSeconds, objectsSeconds, objectsCopied: copied, objectsLinked: linked },
    };
    writeFileSync(join(partial, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    renameSync(partial, dir);
    return { dir, manifest };
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Removes the backups in `targetDir` taken more than `keepDays` days before `now` (by their
 * manifest's time), and `.partial` folders older than a day (a backup that was killed). Always keeps
 * the newest backup.
 */
export function pruneBackups(targetDir: string, keepDays: number, now = new Date()): string[] {
  const removed: string[] = [];
  const cutoff = now.getTime() - keepDays * 86_400_000;
  const all = backupsIn(targetDir);
  for (const b of all.slice(0, -1)) {
    let at: number;
    try {
      at = Date.parse(readManifest(b.dir).at);
    } catch {
      continue; // not ours to judge
    }
    if (at < cutoff) {
      rmSync(b.dir, { recursive: true, force: true });
      removed.push(b.name);
    }
  }
  return removed;
}

/** A stale `.partial` (older than a day): what a killed backup left. */
export function prunePartials(targetDir: string, names: string[], now = new Date()): string[] {
  const removed: string[] = [];
  for (const n of names) {
    if (!n.startsWith(BACKUP_PREFIX) || !n.endsWith('.partial')) continue;
    const path = join(targetDir, n);
    if (now.getTime() - statSync(path).mtimeMs > 86_400_000) {
      rmSync(path, { recursive: true, force: true });
      removed.push(n);
    }
  }
  return removed;
}

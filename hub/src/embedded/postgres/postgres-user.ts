import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { StartError } from '@gic/shared/process/start-error.js';

/** The user PostgreSQL runs as when the hub runs as root (PostgreSQL refuses to run as root). */
export interface PostgresUser {
  uid: number;
  gid: number;
}

/** The `postgres` user's ids, or undefined when there is none. */
export function findPostgresUser(passwd = '/etc/passwd'): PostgresUser | undefined {
  let text: string;
  try {
    text = readFileSync(passwd, 'utf8');
  } catch {
    return undefined;
  }
  const line = text.split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) return undefined;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * The `postgres` user, created as a system user when missing (as Debian's postgresql package would
 * make it, so a later `apt install postgresql` accepts it).
 */
export function ensurePostgresUser(): PostgresUser {
  const found = findPostgresUser();
  if (found) return found;
  const made = spawnSync(
    'useradd',
    [
      '--system',
      '--user-group',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      'postgres',
    ],
    { encoding: 'utf8' },
  );
  // Another hub starting at the same moment may have made it first (useradd exits 9).
  const user = findPostgresUser();
  if (user) return user;
  const why = made.error ? made.error.message : (made.stderr || `useradd exited ${made.status}`).trim();
  throw new StartError(
    'embedded PostgreSQL',
    `it runs as user postgres when the hub runs as root, and that user could not be created (${why})`,
    'create a postgres system user (useradd --system --user-group postgres), run the hub as another user, or set DATABASE_URL',
  );
}

/** Whether `user` may pass through every folder to `path` (and, for a file, run it). */
export function userCanReach(path: string, user: PostgresUser): boolean {
  // Asked of the kernel as that user, so ACLs and group bits count exactly as they will for the server.
  const r = spawnSync('test', ['-x', path], { uid: user.uid, gid: user.gid, stdio: 'ignore' });
  return r.status === 0;
}

/** The nearest folder on the way to `path` that `user` cannot pass through. */
export function blockingFolder(path: string, user: PostgresUser): string | undefined {
  let blocked: string | undefined;
  for (let d = dirname(path); ; d = dirname(d)) {
    if (!userCanReach(d, user)) blocked = d;
    if (dirname(d) === d) return blocked;
  }
}

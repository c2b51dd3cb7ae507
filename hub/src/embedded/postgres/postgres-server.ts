import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '@gic/shared/logging/logger.js';
import { StartError } from '@gic/shared/process/start-error.js';
import type { PostgresBinaries } from './postgres-binaries.js';
import type { PostgresUser } from './postgres-user.js';

const PART = 'embedded PostgreSQL';
/** How long a server may take to say it is ready (ms): crash recovery after a power cut can take a while. */
const READY_TIMEOUT_MS = 120_000;
/** How long a fast shutdown may take before the server is killed (ms). */
const STOP_TIMEOUT_MS = 30_000;
const BIN_REMEDY =
  "set GIC_EMBEDDED_PG_BIN_DIR to a folder with PostgreSQL's initdb and postgres (apt install postgresql: /usr/lib/postgresql/<version>/bin), or set DATABASE_URL to an external PostgreSQL";

/** Messages in English whatever the machine's locale: readiness is read from the server's output. */
const CHILD_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' };

/** The last line of PostgreSQL's output that says what went wrong. */
function lastProblem(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const problem = [...lines].reverse().find((l) => /FATAL|PANIC|ERROR|error|cannot|could not/.test(l));
  return (problem ?? lines.at(-1) ?? 'no output').replace(/^.*?(FATAL|PANIC|ERROR):\s*/, '$1: ');
}

/** Runs `path` (as `user` when given); a program that cannot be run at all is a StartError saying why. */
function run(path: string, args: string[], user: PostgresUser | undefined): ChildProcess {
  return spawn(path, args, {
    env: CHILD_ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
}

const SPAWN_ERRORS: Record<string, string> = {
  EACCES: 'permission denied: it is not executable, or its folder is closed to that user',
  ENOENT: 'no such file',
  ENOEXEC: 'not a program this machine can run',
  EPERM: 'not permitted',
};

function cannotRun(path: string, err: NodeJS.ErrnoException, user: PostgresUser | undefined): StartError {
  const as = user ? ' by the postgres user' : '';
  const why = SPAWN_ERRORS[err.code ?? ''] ?? err.message;
  return new StartError(PART, `${path} cannot be run${as} (${err.code ?? 'error'}, ${why})`, BIN_REMEDY, {
    cause: err,
  });
}

/** Exit codes and output that mean the program itself cannot run here (a missing library, say). */
function brokenProgram(code: number | null, output: string): boolean {
  return code === 126 || code === 127 || /error while loading shared libraries|cannot execute/.test(output);
}

/** Makes a new cluster in `dataDir` (which exists, owned by `user`): UTF-8, C locale, SCRAM passwords. */
export async function initCluster(
  bin: PostgresBinaries,
  dataDir: string,
  superuser: { name: string; password: string },
  user: PostgresUser | undefined,
): Promise<void> {
  // The password goes in a file only the server's user can read, next to the data, removed after.
  const pwfile = join(dirname(dataDir), `.initdb-pw-${randomBytes(4).toString('hex')}`);
  writeFileSync(pwfile, `${superuser.password}\n`, { mode: 0o600 });
  if (user) chownSync(pwfile, user.uid, user.gid);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = run(
        bin.initdb,
        [
          `--pgdata=${dataDir}`,
          '--auth=scram-sha-256',
          `--username=${superuser.name}`,
          `--pwfile=${pwfile}`,
          '--encoding=UTF8',
          '--no-locale',
        ],
        user,
      );
      let output = '';
      child.stdout?.on('data', (d) => {
        output += d;
      });
      child.stderr?.on('data', (d) => {
        output += d;
      });
      child.once('error', (err) => reject(cannotRun(bin.initdb, err, user)));
      child.once('close', (code, signal) => {
        if (code === 0) resolve();
        else
          reject(
            new StartError(
              PART,
              `initdb failed (${code ?? signal}): ${lastProblem(output)}`,
              brokenProgram(code, output)
                ? BIN_REMEDY
                : `check that ${dataDir} is empty and writable by its owner, or set DATABASE_URL`,
            ),
          );
      });
    });
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/** A running server; `stop()` shuts it down fast (committed data is kept) and waits for it. */
export interface PostgresServer {
  stop(): Promise<void>;
}

/** Starts `postgres` on `dataDir`, listening on 127.0.0.1:`port` only, and waits until it accepts connections. */
export function startServer(
  bin: PostgresBinaries,
  dataDir: string,
  port: number,
  user: PostgresUser | undefined,
  log: Logger,
): Promise<PostgresServer> {
  return new Promise<PostgresServer>((resolve, reject) => {
    const child = run(
      bin.postgres,
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
      ],
      user,
    );
    let ready = false;
    let stopping = false;
    let output = '';
    const exited = new Promise<void>((r) => child.once('close', () => r()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new StartError(
          PART,
          `the server did not become ready within ${READY_TIMEOUT_MS / 1000} s: ${lastProblem(output)}`,
          `check ${dataDir} and its log, or set DATABASE_URL`,
        ),
      );
    }, READY_TIMEOUT_MS);
    child.stdout?.on('data', (d: Buffer) => log.debug({ pg: d.toString().trim() }, 'postgres'));
    // Read for as long as the server runs: a full pipe would block its logging and then the server.
    child.stderr?.on('data', (d: Buffer) => {
      const text = d.toString();
      log.debug({ pg: text.trim() }, 'postgres');
      if (ready) return;
      output = (output + text).slice(-8192);
      if (output.includes('database system is ready to accept connections')) {
        ready = true;
        clearTimeout(timer);
        resolve({
          stop: async () => {
            stopping = true;
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
            const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
            await exited;
            clearTimeout(killer);
          },
        });
      }
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      if (ready) log.error({ err }, 'embedded PostgreSQL error');
      else reject(cannotRun(bin.postgres, err, user));
    });
    child.once('exit', (code, signal) => {
      if (ready) {
        if (!stopping)
          log.error({ code, signal }, 'embedded PostgreSQL exited; the hub cannot reach its database');
        return;
      }
      clearTimeout(timer);
      const problem = lastProblem(output);
      const remedy = brokenProgram(code, output)
        ? BIN_REMEDY
        : /already in use/i.test(output)
          ? `stop what uses port ${port}, or set GIC_EMBEDDED_PG_PORT to a free port`
          : /incompatible|initialized by PostgreSQL version/i.test(output)
            ? `its data in ${dataDir} was made by another PostgreSQL version: use the binaries that made it (GIC_EMBEDDED_PG_BIN_DIR), or move that folder away to start a new database`
            : `check ${dataDir} (it must belong to the user the server runs as, mode 0700), or set DATABASE_URL`;
      reject(
        new StartError(PART, `the server exited before it was ready (${code ?? signal}): ${problem}`, remedy),
      );
    });
  });
}

/** A server left running by a hub that was killed holds the port; stop it before starting again. */
export async function stopOrphan(dataDir: string, log: Logger): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  // A stale pid file may name a process that is no longer PostgreSQL (pids are reused).
  const comm = (() => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return undefined;
    }
  })();
  if (comm !== undefined && comm !== 'postgres') return;
  try {
    process.kill(pid, 'SIGINT'); // fast shutdown: committed data is kept
  } catch {
    return; // not running: a stale pid file, which PostgreSQL handles itself
  }
  log.warn({ pid }, 'stopping an embedded PostgreSQL left running by an earlier process');
  const gone = async (ms: number) => {
    for (let waited = 0; waited < ms; waited += 100) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        process.kill(pid, 0);
      } catch {
        return true;
      }
    }
    return false;
  };
  // A fast shutdown writes a checkpoint, which on a busy disk took over 10 s once; past 30 s, an
  // immediate one (SIGQUIT: no checkpoint, the next start replays the WAL, nothing committed lost).
  if (await gone(30_000)) return;
  log.warn({ pid }, 'the earlier PostgreSQL did not stop in 30 s: stopping it at once');
  try {
    process.kill(pid, 'SIGQUIT');
  } catch {
    return;
  }
  if (await gone(10_000)) return;
  throw new StartError(
    PART,
    `a server left running on ${dataDir} (pid ${pid}) did not stop`,
    `stop it by hand (kill ${pid})`,
  );
}

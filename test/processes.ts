import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { until } from './helpers.js';

const root = join(import.meta.dirname, '..');

/**
 * Starts a built entry point (`hub/dist/main.js`, `edge/dist/main.js`) as a real child process with
 * `env` on top of this one's, so a test can stop it the way an operator or a power cut would.
 * Its output goes to the test's stderr only when GIC_TEST_CHILD_LOGS is set.
 */
export function spawnMain(entry: 'hub' | 'edge', env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [join(root, entry, 'dist/main.js')], {
    env: { ...process.env, GIC_LOG_LEVEL: 'warn', ...env },
    stdio: process.env.GIC_TEST_CHILD_LOGS ? ['ignore', 'inherit', 'inherit'] : 'ignore',
  });
  return reportErrors(child, entry);
}

/**
 * Reports a child's 'error' (it could not be started, or a signal could not be sent) rather than
 * letting it end the test process; a child that never started has a negative exit code (-errno).
 */
export function reportErrors(child: ChildProcess, name: string): ChildProcess {
  child.on('error', (err) => process.stderr.write(`${name}: ${err.message}\n`));
  return child;
}

/** Resolves once the child has exited, or failed to start (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => {
      if (child.exitCode !== null) resolve(); // never started: no 'exit' comes
    });
  });
}

/** Kills the child with `signal` and waits for it to be gone. */
export async function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  await exited(child);
}

/** Waits until `url` answers 200 (a process's `/health/ready`), failing early if the child dies. */
export async function ready(child: ChildProcess, url: string, timeoutMs = 30_000): Promise<void> {
  await until(
    `${url} to answer`,
    async () => {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`process exited (${child.exitCode ?? child.signalCode}) before ${url} answered`);
      const res = await fetch(url).catch(() => undefined);
      return res?.ok ? true : undefined;
    },
    timeoutMs,
  );
}

/** A process started as a user starts it, with its JSON log lines as they come. */
export interface UserProcess {
  child: ChildProcess;
  /** Every log line so far, parsed (lines that are not JSON are kept as `{ msg: line }`). */
  logs: Record<string, unknown>[];
}

/**
 * Starts `node <entry>/dist/main.js` from the checkout's root exactly as the README says, with a clean
 * environment: only PATH, HOME and LANG from this process, plus `env`. Nothing else a test runner or
 * a developer's shell may have set (UV_THREADPOOL_SIZE, say) reaches it.
 */
export function spawnAsUser(entry: 'hub' | 'edge', env: Record<string, string>): UserProcess {
  const clean: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'LANG'] as const) if (process.env[key]) clean[key] = process.env[key];
  const child = spawn(process.execPath, [join(entry, 'dist/main.js')], {
    cwd: root,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let rest = '';
  const take = (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
      if (process.env.GIC_TEST_CHILD_LOGS) process.stderr.write(`[${entry}] ${line}\n`);
    }
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  return { child, logs };
}

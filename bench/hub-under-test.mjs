// The hub as an operator starts it (`node hub/dist/main.js` from the checkout, a clean environment,
// embedded PostgreSQL, S3 and broker) in its own data folder under /tmp, with what a benchmark needs
// to watch it: its CPU and its PostgreSQL's from /proc, its /metrics, and a read-only look at its tables.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const ADMIN_PASSWORD = 'bench-fleet-admin-password';
/** The embedded cluster's superuser (hub/src/embedded/embedded-postgres.ts). */
const PG_SUPERUSER = 'postgres:gic-embedded';

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process (s), or undefined once it is gone. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the name: state is field 3, utime 14 and stime 15 (man 5 proc).
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** Time a process's main thread has waited on a run queue for a CPU (s; /proc/PID/schedstat), or 0. */
function runQueueSeconds(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
  } catch {
    return 0;
  }
}

/** Pids whose parent is `parent` (PostgreSQL's backends and helpers under its postmaster). */
function childrenOf(parent) {
  const pids = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) pids.push(Number(name));
    } catch {}
  }
  return pids;
}

export async function startHub(root, log = () => {}, extraEnv = {}) {
  const top = mkdtempSync(join(tmpdir(), 'gic-bench-hub-'));
  // Passable (not readable) for the postgres user the embedded cluster runs as under root, so its data stays here.
  chmodSync(top, 0o711);
  const dataDir = join(top, 'hub');
  const ports = {
    http: await freePort(),
    mqtt: await freePort(),
    pg: await freePort(),
    s3: await freePort(),
  };
  const env = {
    GIC_HUB_DATA_DIR: dataDir,
    GIC_HUB_PORT: String(ports.http),
    GIC_MQTT_PORT: String(ports.mqtt),
    GIC_EMBEDDED_PG_PORT: String(ports.pg),
    GIC_EMBEDDED_S3_PORT: String(ports.s3),
    GIC_ADMIN_PASSWORD: ADMIN_PASSWORD,
    // One admin enrols and commands a whole fleet here: the per-user API limit (100 a minute) is for people.
    GIC_RATE_API_PER_MINUTE: '0',
    GIC_LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const clean = {};
  for (const key of ['PATH', 'HOME', 'LANG']) if (process.env[key]) clean[key] = process.env[key];
  // BENCH_HUB_CPU_PROF=<folder>: the hub writes a V8 CPU profile of each thread there as it stops.
  const profile = process.env.BENCH_HUB_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_HUB_CPU_PROF}`]
    : [];
  const child = spawn(process.execPath, [...profile, 'hub/dist/main.js'], {
    cwd: root,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a Ctrl-C reaches this script, which stops the hub in order.
    detached: true,
  });
  const tail = [];
  const keep = (chunk) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) tail.push(line.slice(0, 400));
    tail.splice(0, Math.max(0, tail.length - 20));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  let stopping = false;
  exited.then((how) => {
    if (!stopping) log(`the hub exited (${how}) during the run; its last lines:\n${tail.join('\n')}`);
  });
  const httpUrl = `http://127.0.0.1:${ports.http}`;
  const pgDataDir = join(dataDir, 'postgres', 'data');
  let pool;

  const hub = {
    pid: child.pid,
    httpUrl,
    mqttUrl: `mqtt://127.0.0.1:${ports.mqtt}`,
    /** The hub's own environment (its configuration can be read from it with loadHubConfig). */
    env,
    dataDir: top,
    adminPassword: ADMIN_PASSWORD,
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    /** Waits for /health/ready, failing early if the process dies. */
    async ready(timeoutMs = 180_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (!hub.alive) throw new Error(`the hub exited before it was ready:\n${tail.join('\n')}`);
        const res = await fetch(`${httpUrl}/health/ready`).catch(() => undefined);
        if (res?.ok) break;
        if (Date.now() > deadline) throw new Error(`the hub was not ready in ${timeoutMs / 1000} s`);
        await wait(250);
      }
      pool = new pg.Pool({
        connectionString: `postgres://${PG_SUPERUSER}@127.0.0.1:${ports.pg}/gic`,
        max: 2,
      });
      pool.on('error', () => {});
    },
    query: (sql, params) => pool.query(sql, params),
    /** A counter of the hub's Prometheus metrics, summed over the labels given. */
    async metric(name, labels = {}) {
      const text = await (await fetch(`${httpUrl}/metrics`)).text();
      let sum = 0;
      for (const line of text.split('\n')) {
        if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
        if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
          sum += Number(line.slice(line.lastIndexOf(' ') + 1));
      }
      return sum;
    },
    /** CPU seconds so far of the hub's node process and of its PostgreSQL (postmaster and backends). */
    cpu() {
      const postmaster = postmasterPid();
      const postgres = new Map();
      if (postmaster)
        for (const pid of [postmaster, ...childrenOf(postmaster)]) postgres.set(pid, cpuSeconds(pid) ?? 0);
      return {
        hub: cpuSeconds(child.pid) ?? 0,
        hubWaited: runQueueSeconds(child.pid),
        postgres,
        at: performance.now(),
      };
    },
    /** Stops the hub (SIGTERM, then SIGKILL and its PostgreSQL by pid) and removes its data folder. */
    async stop() {
      stopping = true;
      await pool?.end().catch(() => {});
      if (hub.alive) {
        child.kill('SIGTERM');
        const gone = await Promise.race([exited.then(() => true), wait(30_000).then(() => false)]);
        if (!gone) {
          child.kill('SIGKILL');
          await exited;
        }
      }
      // A hub killed before it stopped its PostgreSQL leaves the postmaster running.
      const postmaster = postmasterPid();
      if (postmaster) {
        try {
          process.kill(postmaster, 'SIGQUIT');
        } catch {}
        for (let i = 0; i < 50 && existsSync(`/proc/${postmaster}`); i++) await wait(100);
      }
      rmSync(top, { recursive: true, force: true });
    },
  };
  function postmasterPid() {
    try {
      const pid = Number(readFileSync(join(pgDataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return pid > 0 && existsSync(`/proc/${pid}`) ? pid : undefined;
    } catch {
      return undefined;
    }
  }
  return hub;
}

/**
 * CPU shares (% of one core) between two `cpu()` readings, and the share of the time the hub's threads
 * waited for a CPU. PostgreSQL's by process: a backend that
 * started in between counts whole, one that ended in between is lost (the hub keeps a pool open, so few do).
 */
export function cpuShare(from, to) {
  const seconds = (to.at - from.at) / 1000;
  let postgres = 0;
  for (const [pid, s] of to.postgres) postgres += s - (from.postgres.get(pid) ?? 0);
  return {
    hub: (100 * (to.hub - from.hub)) / seconds,
    // Runnable but not running: CPU the hub wanted and the machine (busy with other work) did not give.
    hubWaited: (100 * (to.hubWaited - from.hubWaited)) / seconds,
    postgres: (100 * postgres) / seconds,
  };
}

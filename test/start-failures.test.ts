import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledPostgres } from '@gic/hub/embedded/postgres/postgres-binaries.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './ports.js';
import { createTestDatabase, TEST_PG_SYSTEM_DIR } from './test-database.js';

const root = join(import.meta.dirname, '..');

/** Runs a process's entry point until it exits, with only `env` (and PATH) set. */
function runToExit(entry: 'hub' | 'edge', env: Record<string, string>, timeoutMs = 60_000) {
  return new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, entry, 'dist/main.js')], {
      env: { PATH: process.env.PATH ?? '', GIC_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${entry} did not exit within ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

/** The one line a process ended with, checking that it said nothing else a person must read. */
function oneLine(stderr: string, name: string): string {
  expect(stderr).not.toMatch(/Unhandled 'error' event|UnhandledPromiseRejection|^\s+at /m);
  const lines = stderr.split('\n').filter((l) => l.startsWith(`${name}:`));
  expect(lines, stderr).toHaveLength(1);
  return lines[0]!;
}

/** Holds a loopback port, as another program would. */
async function holdPort(): Promise<{ port: number; server: Server }> {
  const port = await freePort();
  const server = createServer();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return { port, server };
}

describe('a part that cannot start ends its process with one line: what, why, what to do', () => {
  const held: Server[] = [];
  let hubEnv: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'gic-start-fail-'));

  beforeAll(async () => {
    const { url, db } = await createTestDatabase();
    await db.end();
    hubEnv = {
      DATABASE_URL: url,
      GIC_HUB_DATA_DIR: join(dir, 'hub'),
      GIC_HUB_PORT: String(await freePort()),
      GIC_MQTT_PORT: String(await freePort()),
      GIC_EMBEDDED_S3_PORT: String(await freePort()),
      GIC_ADMIN_PASSWORD: 'start-fail-password',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
  });

  afterAll(async () => {
    for (const s of held) await new Promise<void>((r) => s.close(() => r()));
  });

  async function blocked(): Promise<number> {
    const { port, server } = await holdPort();
    held.push(server);
    return port;
  }

  it('PostgreSQL binaries that cannot be run', async () => {
    const binDir = mkdtempSync(join(tmpdir(), 'gic-pg-bin-'));
    chmodSync(binDir, 0o755);
    for (const name of ['initdb', 'postgres']) {
      copyFileSync(join(bundledPostgres().root, 'bin', name), join(binDir, name));
      chmodSync(join(binDir, name), 0o644); // not executable, even by root
    }
    const pgDir = mkdtempSync(join(tmpdir(), 'gic-start-fail-pg-'));
    chmodSync(pgDir, 0o711);
    const { DATABASE_URL: _, ...embedded } = hubEnv;
    const r = await runToExit('hub', {
      ...embedded,
      GIC_HUB_DATA_DIR: join(pgDir, 'hub'),
      GIC_EMBEDDED_PG_PORT: String(await freePort()),
      GIC_EMBEDDED_PG_BIN_DIR: binDir,
    });
    expect(r.code).toBe(1);
    const line = oneLine(r.stderr, 'gic-hub');
    expect(line).toContain('could not start embedded PostgreSQL');
    expect(line).toMatch(new RegExp(`${binDir}/initdb cannot be run.*EACCES, permission denied`));
    expect(line).toContain('set GIC_EMBEDDED_PG_BIN_DIR');
    expect(line).toContain('DATABASE_URL');
  });

  it('PostgreSQL binaries that start but cannot load their libraries', async () => {
    const binDir = mkdtempSync(join(tmpdir(), 'gic-pg-bin-'));
    chmodSync(binDir, 0o755);
    for (const name of ['initdb', 'postgres']) {
      // What the dynamic loader prints when a build's libraries are missing.
      writeFileSync(
        join(binDir, name),
        `#!/bin/sh\necho "${name}: error while loading shared libraries: libicuuc.so.60: cannot open shared object file" >&2\nexit 127\n`,
        { mode: 0o755 },
      );
    }
    const pgDir = mkdtempSync(join(tmpdir(), 'gic-start-fail-pg-'));
    chmodSync(pgDir, 0o711);
    const { DATABASE_URL: _, ...embedded } = hubEnv;
    const r = await runToExit('hub', {
      ...embedded,
      GIC_HUB_DATA_DIR: join(pgDir, 'hub'),
      GIC_EMBEDDED_PG_PORT: String(await freePort()),
      GIC_EMBEDDED_PG_BIN_DIR: binDir,
    });
    expect(r.code).toBe(1);
    const line = oneLine(r.stderr, 'gic-hub');
    expect(line).toMatch(/initdb failed \(127\): .*libicuuc\.so\.60/);
    expect(line).toContain('set GIC_EMBEDDED_PG_BIN_DIR');
  });

  it("the embedded PostgreSQL's port in use", async () => {
    const pgDir = mkdtempSync(join(tmpdir(), 'gic-start-fail-pg-'));
    chmodSync(pgDir, 0o711);
    const { DATABASE_URL: _, ...embedded } = hubEnv;
    const r = await runToExit('hub', {
      ...embedded,
      GIC_HUB_DATA_DIR: join(pgDir, 'hub'),
      GIC_EMBEDDED_PG_PORT: String(await blocked()),
      GIC_EMBEDDED_PG_SYSTEM_DIR: TEST_PG_SYSTEM_DIR,
    });
    expect(r.code).toBe(1);
    const line = oneLine(r.stderr, 'gic-hub');
    expect(line).toMatch(/could not start embedded PostgreSQL: the server exited before it was ready/);
    expect(line).toContain('set GIC_EMBEDDED_PG_PORT to a free port');
  });

  it('no PostgreSQL at DATABASE_URL', async () => {
    const port = await freePort();
    const r = await runToExit('hub', { ...hubEnv, DATABASE_URL: `postgres://u:p@127.0.0.1:${port}/gic` });
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr, 'gic-hub')).toBe(
      `gic-hub: could not start the database: nothing answers at 127.0.0.1:${port}; check DATABASE_URL and that its PostgreSQL runs`,
    );
  });

  it('the embedded S3 port in use', async () => {
    const port = await blocked();
    const r = await runToExit('hub', { ...hubEnv, GIC_EMBEDDED_S3_PORT: String(port) });
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr, 'gic-hub')).toBe(
      `gic-hub: could not start the embedded S3 server: 127.0.0.1:${port} is already in use; stop what uses it, or set GIC_EMBEDDED_S3_PORT (and GIC_EMBEDDED_S3_HOST) to a free address`,
    );
  });

  it('the broker port in use', async () => {
    const port = await blocked();
    const r = await runToExit('hub', { ...hubEnv, GIC_MQTT_PORT: String(port) });
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr, 'gic-hub')).toContain(
      `could not start the embedded MQTT broker: 127.0.0.1:${port} is already in use; stop what uses it, or set GIC_MQTT_PORT`,
    );
  });

  it("the hub's HTTP port in use", async () => {
    const port = await blocked();
    const r = await runToExit('hub', { ...hubEnv, GIC_HUB_PORT: String(port) });
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr, 'gic-hub')).toContain(
      `could not start the HTTP server: 127.0.0.1:${port} is already in use; stop what uses it, or set GIC_HUB_PORT`,
    );
  });

  it("the edge's HTTP port in use", async () => {
    const port = await blocked();
    const r = await runToExit('edge', {
      GIC_EDGE_DATA_DIR: join(dir, 'edge'),
      GIC_EDGE_PORT: String(port),
      GIC_MODELS: 'pp-ocrv4-det',
      GIC_MODELS_DIR: join(root, 'models'),
    });
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr, 'gic-edge')).toContain(
      `could not start the HTTP server: 127.0.0.1:${port} is already in use; stop what uses it, or set GIC_EDGE_PORT`,
    );
  });
});

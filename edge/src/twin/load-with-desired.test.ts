import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEdgeConfig } from '../config.js';
import { openEdgeDatabase } from '../store/edge-database.js';
import { DesiredConfigStore } from './desired-config-store.js';
import { loadWithDesiredConfig } from './load-with-desired.js';

describe('the configuration a box starts with', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-desired-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is its own when no desired configuration was kept', () => {
    const c = loadWithDesiredConfig({ GIC_EDGE_DATA_DIR: join(dir, 'none') });
    expect(c.startedWith).toBeUndefined();
    expect(c.alerts.sensitivity).toBe(0.6);
  });

  it('loads the kept desired configuration below its own file and environment', () => {
    const dataDir = join(dir, 'kept');
    const db = openEdgeDatabase(join(dataDir, 'edge.db'));
    new DesiredConfigStore(db).save({
      version: 4,
      commandId: '00000000-0000-4000-8000-000000000004',
      values: { alerts: { sensitivity: 0.8, cooldownMs: 9000 }, recording: { fps: 25, segmentSeconds: 20 } },
      receivedAt: new Date().toISOString(),
    });
    db.close();
    const file = join(dir, 'edge.json');
    writeFileSync(file, JSON.stringify({ recording: { segmentSeconds: 90 } }));
    const c = loadWithDesiredConfig({
      GIC_EDGE_DATA_DIR: dataDir,
      GIC_EDGE_CONFIG: file,
      GIC_ALERT_COOLDOWN_MS: '500',
    });
    expect(c.startedWith).toMatchObject({ version: 4 });
    expect(c.alerts).toMatchObject({ sensitivity: 0.8, cooldownMs: 500 });
    expect(c.recording).toMatchObject({ fps: 25, segmentSeconds: 90 });
  });

  it('names a bad desired value as the hub’s', () => {
    expect(() => loadEdgeConfig({}, { GIC_ALERT_SENSITIVITY: '3' })).toThrow(/hub’s desired configuration/);
  });
});

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@gic/shared/logging/logger.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/ports.js';
import { createTestDatabase } from '../../../test/test-database.js';
import { writeAudit } from '../audit/audit-log.js';
import { loadHubConfig } from '../config.js';
import { createDatabase, type Database } from '../db/database.js';
import { type EmbeddedS3Handle, startEmbeddedS3 } from '../embedded/embedded-s3.js';
import { signedInUser } from '../testing/signed-in-user.js';
import { DATABASE_FILE } from './backup-manifest.js';
import { backupHub } from './hub-backup.js';
import { restoreHub } from './hub-restore.js';
import { type HubStorage, openHubStorage } from './hub-storage.js';

/** Against an external PostgreSQL and S3 (DATABASE_URL, S3_ENDPOINT), the way an operator sets them. */
describe('backup and restore with an external PostgreSQL and S3', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-backup-unit-'));
  chmodSync(dir, 0o711);
  let db: Database;
  let s3: EmbeddedS3Handle;
  let storage: HubStorage;
  let config: ReturnType<typeof loadHubConfig>;
  const quiet = () => {};

  beforeAll(async () => {
    const made = await createTestDatabase();
    db = made.db;
    s3 = await startEmbeddedS3(join(dir, 's3'), await freePort(), 'gic-recordings');
    config = loadHubConfig({
      DATABASE_URL: made.url,
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      GIC_HUB_DATA_DIR: join(dir, 'hub'),
    });
    storage = await openHubStorage(config, createLogger('backup-test', 'silent'));
  }, 60_000);
  afterAll(async () => {
    await storage?.close();
    await db?.end();
    await s3?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = async () => ({
    users: (await db.query('SELECT * FROM users ORDER BY id')).rows,
    sessions: (await db.query('SELECT * FROM user_sessions ORDER BY id')).rows,
    audit: (await db.query('SELECT * FROM audit_log ORDER BY id')).rows,
  });

  it('brings the database and the objects back as they were at the backup, and checks the files first', async () => {
    await signedInUser(db, new Uint8Array(32), 'reviewer1', 'reviewer');
    for (const action of ['procedure.read', 'video.play'])
      await writeAudit(db, {
        actorKind: 'user',
        actorId: 'u1',
        actorName: 'reviewer1',
        actorRole: 'reviewer',
        action,
        objectType: 'procedure',
        objectId: 'p1',
        outcome: 'ok',
        address: '127.0.0.1',
        detail: { note: 'a "quoted"\nline' },
      });
    await storage.store.put('recordings/d1/a.mp4', Buffer.alloc(70_000, 7), 'video/mp4');
    await storage.store.put('exports/e1.zip', 'zip', 'application/zip');
    const before = await rows();
    // Another session is connected (this test's pool): a hub may be using the database.
    const again = await openHubStorage(config, createLogger('backup-test', 'silent'));
    expect(again.hubRunning).toBe(true);
    await again.close();

    const { dir: first, manifest } = await backupHub({
      ...storage,
      targetDir: join(dir, 'b'),
      progress: quiet,
    });
    expect(manifest.counts.auditRecords).toBe(2);
    expect(manifest.objects.map((o) => [o.key, o.bytes]).sort()).toEqual([
      ['exports/e1.zip', 3],
      ['recordings/d1/a.mp4', 70_000],
    ]);
    // A second backup links the unchanged objects instead of copying them.
    const second = await backupHub({
      ...storage,
      targetDir: join(dir, 'b'),
      progress: quiet,
      now: new Date(Date.now() + 1000),
    });
    expect(second.manifest.took).toMatchObject({ objectsCopied: 0, objectsLinked: 70_003 });

    // Later changes, then the restore of the first backup undoes them.
    await signedInUser(db, new Uint8Array(32), 'reviewer2', 'reviewer');
    await storage.store.delete('recordings/d1/a.mp4');
    // A damaged backup is refused before anything is touched.
    writeFileSync(join(second.dir, DATABASE_FILE), 'not the dump');
    await expect(
      restoreHub({ ...storage, backupDir: second.dir, dataDir: join(dir, 'hub'), progress: quiet }),
    ).rejects.toThrow(`${DATABASE_FILE}: 12 bytes, the manifest says`);
    expect((await db.query('SELECT count(*)::int AS n FROM users')).rows[0].n).toBe(2);

    await db.end(); // as the hub would be stopped
    const restored = await restoreHub({
      ...storage,
      backupDir: first,
      dataDir: join(dir, 'hub'),
      progress: quiet,
    });
    expect(restored.counts).toEqual(manifest.counts);
    db = createDatabase(storage.databaseUrl);
    expect(await rows()).toEqual(before);
    expect((await storage.store.sha256('recordings/d1/a.mp4')).sha256).toBe(
      manifest.objects.find((o) => o.key === 'recordings/d1/a.mp4')!.sha256,
    );
    // The guard came back with the schema: the trigger, and no UPDATE for gic_app.
    await expect(db.query('UPDATE audit_log SET action = action')).rejects.toThrow(/append-only/);
    const { rows: priv } = await db.query(
      "SELECT has_table_privilege('gic_app', 'audit_log', 'UPDATE') AS u, has_table_privilege('gic_app', 'users', 'UPDATE') AS w",
    );
    expect(priv[0]).toEqual({ u: false, w: true });
    // New rows get new ids (the sequences were set).
    await writeAudit(db, { actorKind: 'anonymous', action: 'user.login', outcome: 'refused' });
    const ids = (await db.query('SELECT id FROM audit_log ORDER BY id')).rows.map((r) => Number(r.id));
    expect(new Set(ids).size).toBe(3);
  }, 60_000);
});

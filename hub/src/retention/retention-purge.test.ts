import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installErrorHandler, requestContext } from '@gic/shared/http/request-context.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/ports.js';
import { createTestDatabase } from '../../../test/test-database.js';
import { loadHubSecret } from '../auth/hub-secret.js';
import { insertRun } from '../batch/processing-repo.js';
import { replaceKeyframes } from '../batch/results-repo.js';
import type { Database } from '../db/database.js';
import { type EmbeddedS3Handle, startEmbeddedS3 } from '../embedded/embedded-s3.js';
import { insertExport, setExportState } from '../exports/exports-repo.js';
import type { HubEnv } from '../http/hub-env.js';
import { retentionRoutes } from '../http/retention-routes.js';
import type { ObjectStore } from '../storage/object-store.js';
import { embeddedStore } from '../testing/embedded-store.js';
import { signedInUser } from '../testing/signed-in-user.js';
import { insertUploadedVideo } from '../videos/videos-repo.js';
import { defaultRetention, purgeExpired } from './retention-purge.js';

const log = createLogger('test', 'silent');
const DAY = 86_400_000;

describe('retention purge', () => {
  let db: Database;
  let s3: EmbeddedS3Handle;
  let store: ObjectStore;
  let secret: Uint8Array;

  beforeAll(async () => {
    ({ db } = await createTestDatabase());
    const dir = mkdtempSync(join(tmpdir(), 'gic-retention-'));
    chmodSync(dir, 0o711);
    s3 = await startEmbeddedS3(join(dir, 's3'), await freePort(), 'gic-test');
    store = embeddedStore(s3);
    secret = await loadHubSecret(db);
  });
  afterAll(async () => {
    store?.close();
    await s3?.stop();
    await db?.end();
  });

  /** An uploaded procedure 40 days old, its raw file, a key frame, and an export ready `exportAgeDays` ago. */
  async function procedure(exportAgeDays: number) {
    const id = randomUUID();
    const rawKey = `uploads/raw/${id}`;
    await store.put(rawKey, 'raw video', 'application/octet-stream');
    await insertUploadedVideo(db, {
      procedureId: id,
      rawKey,
      facts: { durationMs: 1000, width: 64, height: 36, fps: 30 },
      bytes: 9,
      sha256: 'x'.repeat(64),
      createdBy: 'rita',
    });
    await db.query("UPDATE videos SET created_at = now() - interval '40 days' WHERE procedure_id = $1", [id]);
    const run = randomUUID();
    await insertRun(db, run, id, 'rita');
    const frameKey = `keyframes/${id}/${run}/0.jpg`;
    await store.put(frameKey, 'jpeg', 'image/jpeg');
    await replaceKeyframes(db, run, id, [{ tMs: 0, reason: 'interval', key: frameKey }]);
    const exportId = randomUUID();
    const exportKey = `exports/${exportId}.zip`;
    await store.put(exportKey, 'zip', 'application/zip');
    await insertExport(db, exportId, id, 'rita');
    await setExportState(db, exportId, 'ready', { key: exportKey, bytes: 3, sha256: 'y'.repeat(64) });
    await db.query(`UPDATE video_exports SET finished_at = now() - make_interval(days => $2) WHERE id = $1`, [
      exportId,
      exportAgeDays,
    ]);
    return { id, rawKey, frameKey, exportKey };
  }

  it('deletes raw uploads after 30 days, key frames after export, exports after 90 days, and records why', async () => {
    const old = await procedure(100);
    const recent = await procedure(10);
    const held = await procedure(100);
    const app = new Hono<HubEnv>();
    app.use('*', requestContext(log));
    installErrorHandler(app);
    app.route('/api/v1/retention', retentionRoutes(db, { db, secret, apiRate: null }));
    const admin = (await signedInUser(db, secret, 'admin', 'admin')).token;
    const reviewer = (await signedInUser(db, secret, 'rita', 'reviewer')).token;
    const hold = (id: string, token: string, body: unknown = { hold: true, reason: 'complaint 42' }) =>
      app.request(`/api/v1/retention/holds/${id}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await hold(held.id, reviewer)).status).toBe(403);
    expect((await hold(randomUUID(), admin)).status).toBe(404);
    expect((await hold(held.id, admin, { hold: 'yes' })).status).toBe(400);
    expect((await hold(held.id, admin)).status).toBe(200);

    const purged = await purgeExpired(db, store, defaultRetention, log);
    const byProcedure = (id: string) => purged.filter((p) => p.procedureId === id).map((p) => p.kind);
    expect(byProcedure(old.id).sort()).toEqual(['export', 'keyframe', 'raw-upload']);
    expect(byProcedure(recent.id).sort()).toEqual(['keyframe', 'raw-upload']);
    expect(byProcedure(held.id)).toEqual([]);
    expect(await store.size(old.rawKey)).toBeUndefined();
    expect(await store.size(old.exportKey)).toBeUndefined();
    expect(await store.size(recent.exportKey)).toBe(3);
    for (const key of [held.rawKey, held.frameKey, held.exportKey])
      expect(await store.size(key)).toBeGreaterThan(0);

    // A second run finds nothing more; the record says what went and why.
    expect(await purgeExpired(db, store, defaultRetention, log)).toEqual([]);
    const res = await app.request('/api/v1/retention/purges?limit=10', {
      headers: { authorization: `Bearer ${admin}` },
    });
    const { items } = (await res.json()) as { items: { kind: string; reason: string; key: string }[] };
    expect(items).toHaveLength(5);
    expect(items.find((i) => i.key === old.exportKey)?.reason).toBe('export older than 90 days');
    // Lifting the hold lets the next purge take what is due; 60 days on, the recent export goes too.
    expect((await hold(held.id, admin, { hold: false })).status).toBe(200);
    const later = await purgeExpired(db, store, defaultRetention, log, new Date(Date.now() + 85 * DAY));
    expect(later.filter((p) => p.procedureId === held.id)).toHaveLength(3);
    expect(later.filter((p) => p.procedureId === recent.id).map((p) => p.kind)).toEqual(['export']);
  });
});

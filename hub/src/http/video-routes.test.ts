import { createHash, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMetrics } from '@gic/shared/http/metrics.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/ports.js';
import { createTestDatabase } from '../../../test/test-database.js';
import { ensureBootstrapAdmin } from '../auth/bootstrap-admin.js';
import { loadHubSecret } from '../auth/hub-secret.js';
import { hashPassword } from '../auth/passwords.js';
import { insertUserIfAbsent } from '../auth/users-repo.js';
import { BatchProcessor } from '../batch/batch-processor.js';
import type { Database } from '../db/database.js';
import { type EmbeddedS3Handle, startEmbeddedS3 } from '../embedded/embedded-s3.js';
import { ExportService } from '../exports/export-service.js';
import { insertExport, setExportState } from '../exports/exports-repo.js';
import { JobQueue } from '../jobs/job-queue.js';
import type { ObjectStore } from '../storage/object-store.js';
import { embeddedStore } from '../testing/embedded-store.js';
import { VideoUploadService } from '../videos/video-upload-service.js';
import { createHubApp, type HubApp } from './hub-app.js';

const log = createLogger('test', 'silent');
const KIB = 1024;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('video upload API', () => {
  let db: Database;
  let s3: EmbeddedS3Handle;
  let store: ObjectStore;
  let jobs: JobQueue;
  let app: HubApp;
  let build: (uploads: VideoUploadService) => HubApp;
  const tokens: Record<string, string> = {};
  let sample: Buffer;

  const send = (method: string, path: string, token: string | undefined, body?: BodyInit, headers = {}) =>
    app.request(path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      ...(body === undefined ? {} : { body, duplex: 'half' }),
    } as RequestInit);
  const upload = (body: Buffer, token = tokens.rita) =>
    send('POST', '/api/v1/videos/upload', token, new Uint8Array(body), {
      'content-type': 'video/mp4',
      'content-length': String(body.length),
    });

  beforeAll(async () => {
    let url: string;
    ({ db, url } = await createTestDatabase());
    const dir = mkdtempSync(join(tmpdir(), 'gic-video-routes-'));
    chmodSync(dir, 0o711);
    await generateSampleVideo(join(dir, 'sample.mp4'), { seconds: 3 });
    sample = readFileSync(join(dir, 'sample.mp4'));
    s3 = await startEmbeddedS3(join(dir, 's3'), await freePort(), 'gic-test');
    store = embeddedStore(s3);
    jobs = await JobQueue.start(url, () => {});
    const secret = await loadHubSecret(db);
    await ensureBootstrapAdmin(db, dir, log, 'admin-password-123');
    // Given a site: what they upload goes there, and they see it (auth/site-scope.ts).
    await insertUserIfAbsent(db, 'rita', await hashPassword('reviewer-password'), 'reviewer', {
      sites: ['main'],
    });
    await insertUserIfAbsent(db, 'otto', await hashPassword('operator-password'), 'trainee', {
      sites: ['main'],
    });
    build = (uploads) =>
      createHubApp({
        log,
        metrics: createMetrics('gic_hub_video_test'),
        db,
        store,
        secret,
        api: {
          jobs,
          mqttPublicUrl: 'mqtt://hub.example:1883',
          hubPublicUrl: 'http://hub.example:8080',
          videos: {
            uploads,
            processor: new BatchProcessor(db, jobs, log, { retryLimit: 0 }),
            exports: new ExportService(db, store, jobs, log, { deviceNames: false, job: { retryLimit: 0 } }),
            urlTtlSeconds: 60,
          },
        },
        gpu: () => ({}),
      });
    // Small parts so that the sample spans several; the store's own 5 MiB floor is S3's, not s3rver's.
    app = build(new VideoUploadService(db, store, log, { maxBytes: 4 * 1024 * KIB, partBytes: 64 * KIB }));
    for (const [name, password] of [
      ['admin', 'admin-password-123'],
      ['rita', 'reviewer-password'],
      ['otto', 'operator-password'],
    ] as const) {
      const res = await send(
        'POST',
        '/api/v1/auth/login',
        undefined,
        JSON.stringify({ username: name, password }),
        {
          'content-type': 'application/json',
        },
      );
      tokens[name] = ((await res.json()) as { accessToken: string }).accessToken;
    }
  }, 120_000);
  afterAll(async () => {
    await jobs?.stop();
    store?.close();
    await s3?.stop();
    await db?.end();
  });

  it('takes a video in one streamed request, hashes and probes it, and makes it a procedure queued for processing', async () => {
    const res = await upload(sample);
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      id: string;
      procedureId: string;
      sha256: string;
      bytes: number;
      durationMs: number;
    };
    expect(body).toMatchObject({ sha256: sha256(sample), bytes: sample.length });
    expect(body.id).toBe(body.procedureId);
    expect(body.durationMs).toBeGreaterThan(2500);
    expect(body.durationMs).toBeLessThan(3500);
    const video = await (await send('GET', `/api/v1/videos/${body.id}`, tokens.otto)).json();
    expect(video).toMatchObject({
      id: body.id,
      source: 'upload',
      width: 1280,
      height: 720,
      bytes: sample.length,
      sha256: sha256(sample),
      createdBy: 'rita',
    });
    const { rows } = await db.query('SELECT device_id, uploaded_by FROM procedures WHERE id = $1', [body.id]);
    expect(rows[0]).toEqual({ device_id: 'upload', uploaded_by: 'rita' });
    // Nothing is viewable before de-identification: processing is queued at once.
    const status = await (await send('GET', `/api/v1/videos/${body.id}/status`, tokens.rita)).json();
    expect(status).toMatchObject({ state: 'waiting', stage: 'extract', progress: 0 });
    expect((await send('POST', `/api/v1/videos/${body.id}/process`, tokens.rita)).status).toBe(409);
    // A trainee may look but not process, cancel or export; nobody may without a token.
    for (const action of ['process', 'cancel', 'export']) {
      expect((await send('POST', `/api/v1/videos/${body.id}/${action}`, tokens.otto)).status).toBe(403);
      expect((await send('POST', `/api/v1/videos/${body.id}/${action}`, undefined)).status).toBe(401);
    }
    expect((await send('GET', `/api/v1/videos/${body.id}/keyframes`, tokens.otto)).status).toBe(200);
    expect((await send('GET', `/api/v1/videos/${body.id}/summary`, tokens.rita)).status).toBe(404);
    expect(await (await send('GET', `/api/v1/videos/${body.id}/export`, tokens.rita)).json()).toMatchObject({
      state: 'none',
      url: null,
    });
    // Not de-identified yet: no export, of either purpose; a purpose that is not one is refused.
    expect((await send('POST', `/api/v1/videos/${body.id}/export`, tokens.rita)).status).toBe(409);
    const asked = (purpose: string) =>
      send('POST', `/api/v1/videos/${body.id}/export`, tokens.rita, JSON.stringify({ purpose }), {
        'content-type': 'application/json',
      });
    expect((await asked('teaching')).status).toBe(409);
    expect((await asked('holiday')).status).toBe(400);
    expect((await send('GET', `/api/v1/videos/${body.id}/export?purpose=x`, tokens.rita)).status).toBe(400);
    // A clinical export is the reviewer's; a trainee asking for any export gets the teaching one only.
    const exportOf = async (token: string | undefined, query = '') =>
      (await (await send('GET', `/api/v1/videos/${body.id}/export${query}`, token)).json()) as {
        state: string;
        purpose: string | null;
        url: string | null;
      };
    const clinicalId = randomUUID();
    await insertExport(db, clinicalId, body.id, 'rita', 'clinical');
    await setExportState(db, clinicalId, 'ready', {
      key: `exports/${clinicalId}.zip`,
      bytes: 10,
      sha256: 'a',
    });
    expect(await exportOf(tokens.rita)).toMatchObject({ state: 'ready', purpose: 'clinical' });
    expect(await exportOf(tokens.otto)).toMatchObject({ state: 'none', url: null });
    expect(await exportOf(tokens.otto, '?purpose=clinical')).toMatchObject({ state: 'none', url: null });
    const teachingId = randomUUID();
    await insertExport(db, teachingId, body.id, 'rita', 'teaching');
    await setExportState(db, teachingId, 'ready', {
      key: `exports/${teachingId}.zip`,
      bytes: 9,
      sha256: 'b',
    });
    expect(await exportOf(tokens.otto)).toMatchObject({ state: 'ready', purpose: 'teaching' });
    expect((await exportOf(tokens.otto)).url).toContain(teachingId);
    expect(await exportOf(tokens.rita, '?purpose=clinical')).toMatchObject({ purpose: 'clinical' });
    expect((await send('POST', `/api/v1/videos/${body.id}/cancel`, tokens.rita)).status).toBe(202);
    expect((await (await send('GET', `/api/v1/videos/${body.id}/status`, tokens.rita)).json()).state).toBe(
      'cancelled',
    );
  });

  it("ends an open status stream within seconds of its session's end", async () => {
    const uploaded = (await (await upload(sample)).json()) as { id: string };
    const login = await send(
      'POST',
      '/api/v1/auth/login',
      undefined,
      JSON.stringify({ username: 'rita', password: 'reviewer-password' }),
      { 'content-type': 'application/json' },
    );
    const { accessToken, sessionId } = (await login.json()) as { accessToken: string; sessionId: string };
    const res = await send('GET', `/api/v1/videos/${uploaded.id}/events`, accessToken);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    const first = await reader.read();
    text += new TextDecoder().decode(first.value);
    expect(text).toContain('event: status');
    // Signed out elsewhere (another tab, an admin): the stream says so and ends.
    await db.query("UPDATE user_sessions SET revoked_at = now(), revoked_reason = 'test' WHERE id = $1", [
      sessionId,
    ]);
    const revokedAt = Date.now();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(Date.now() - revokedAt).toBeLessThan(6000);
    expect(text).toContain('event: error');
    expect(text).toContain('session ended');
  });

  it('refuses what is not a video with 415 and GStreamer reason, and deletes it', async () => {
    const res = await upload(Buffer.from('this is a text file, not a video\n'.repeat(100)));
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: string }).error).toMatch(/not a video GStreamer can decode/);
    const { rows } = await db.query<{ object_key: string; status: string }>(
      "SELECT object_key, status FROM video_uploads WHERE status = 'refused'",
    );
    expect(rows).toHaveLength(1);
    expect(await store.size(rows[0]!.object_key)).toBeUndefined();
    // A truncated MP4 (the header without its frames) is refused too.
    expect((await upload(sample.subarray(0, 2000))).status).toBe(415);
  });

  it('refuses a video over the size limit, a missing length, unknown ids, and the wrong role', async () => {
    const big = await send('POST', '/api/v1/videos/upload', tokens.rita, new Uint8Array(10), {
      'content-length': String(5 * 1024 * KIB),
    });
    expect(big.status).toBe(413);
    const session = await send(
      'POST',
      '/api/v1/videos/upload/sessions',
      tokens.rita,
      JSON.stringify({ bytes: 5 * 1024 * KIB }),
      {
        'content-type': 'application/json',
      },
    );
    expect(session.status).toBe(413);
    expect((await upload(sample, tokens.otto)).status).toBe(403);
    expect((await upload(sample, '')).status).toBe(401);
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const path of [
      `/api/v1/videos/${unknown}`,
      `/api/v1/videos/${unknown}/status`,
      '/api/v1/videos/nope',
    ]) {
      expect((await send('GET', path, tokens.rita)).status).toBe(404);
    }
    expect((await send('POST', `/api/v1/videos/${unknown}/process`, tokens.rita)).status).toBe(404);
    expect((await send('POST', `/api/v1/videos/${unknown}/export`, tokens.rita)).status).toBe(404);
    expect((await send('GET', `/api/v1/videos/upload/sessions/${unknown}`, tokens.rita)).status).toBe(404);
  });

  it('resumes an upload in chunks at the offset the hub says, even in another process that lost the running hash', async () => {
    const created = await send(
      'POST',
      '/api/v1/videos/upload/sessions',
      tokens.rita,
      JSON.stringify({ bytes: sample.length }),
      {
        'content-type': 'application/json',
      },
    );
    expect(created.status).toBe(201);
    const { uploadId, offset, partBytes } = (await created.json()) as {
      uploadId: string;
      offset: number;
      partBytes: number;
    };
    expect(offset).toBe(0);
    const path = `/api/v1/videos/upload/sessions/${uploadId}`;
    // 1.5 parts sent: one whole part is kept, the tail is to be sent again.
    const first = await send(
      'PATCH',
      path,
      tokens.rita,
      new Uint8Array(sample.subarray(0, partBytes * 1.5)),
      {
        'upload-offset': '0',
      },
    );
    expect(first.status).toBe(200);
    expect(first.headers.get('upload-offset')).toBe(String(partBytes));
    const wrong = await send('PATCH', path, tokens.rita, new Uint8Array(10), { 'upload-offset': '0' });
    expect(wrong.status).toBe(409);
    expect(wrong.headers.get('upload-offset')).toBe(String(partBytes));
    expect((await send('PATCH', path, tokens.admin, new Uint8Array(10))).status).toBe(400);
    // Someone else's upload is not there for a reviewer.
    const other = await send(
      'POST',
      '/api/v1/videos/upload/sessions',
      tokens.admin,
      JSON.stringify({ bytes: 100 }),
      {
        'content-type': 'application/json',
      },
    );
    const otherId = ((await other.json()) as { uploadId: string }).uploadId;
    expect((await send('GET', `/api/v1/videos/upload/sessions/${otherId}`, tokens.rita)).status).toBe(404);
    // Completing early is refused.
    expect((await send('POST', `${path}/complete`, tokens.rita)).status).toBe(409);

    // Another API process (a restart) carries on: it never saw the first part's bytes.
    app = build(new VideoUploadService(db, store, log, { maxBytes: 4 * 1024 * KIB, partBytes: 64 * KIB }));
    const state = (await (await send('GET', path, tokens.rita)).json()) as { offset: number };
    expect(state.offset).toBe(partBytes);
    const rest = await send('PATCH', path, tokens.rita, new Uint8Array(sample.subarray(partBytes)), {
      'upload-offset': String(partBytes),
    });
    expect(rest.headers.get('upload-offset')).toBe(String(sample.length));
    const overflow = await send('PATCH', path, tokens.rita, new Uint8Array(10), {
      'upload-offset': String(sample.length),
    });
    expect(overflow.status).toBe(400);
    const done = await send('POST', `${path}/complete`, tokens.rita);
    expect(done.status).toBe(201);
    expect(await done.json()).toMatchObject({ sha256: sha256(sample), bytes: sample.length });
    // Completing twice answers the same video.
    const again = await send('POST', `${path}/complete`, tokens.rita);
    expect(again.status).toBe(201);
  });
});

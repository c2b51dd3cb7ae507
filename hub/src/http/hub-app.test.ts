import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDeviceKeyPair } from '@gic/provisioning/device-keys.js';
import { HUB_API_AUDIENCE, signDeviceToken } from '@gic/provisioning/device-token.js';
import { createMetrics } from '@gic/shared/http/metrics.js';
import { createLogger } from '@gic/shared/logging/logger.js';
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
import { JobQueue } from '../jobs/job-queue.js';
import type { ObjectStore } from '../storage/object-store.js';
import { embeddedStore } from '../testing/embedded-store.js';
import { abortStaleUploads } from '../uploads/abort-stale-uploads.js';
import { verifyRecording } from '../uploads/verify-recording.js';
import { VideoUploadService } from '../videos/video-upload-service.js';
import { createHubApp, type HubApp } from './hub-app.js';

const log = createLogger('test', 'silent');
const MIB = 1024 * 1024;

describe('hub HTTP API', () => {
  let db: Database;
  let s3: EmbeddedS3Handle;
  let store: ObjectStore;
  let jobs: JobQueue;
  let app: HubApp;
  let adminToken: string;

  const json = (method: string, path: string, body?: unknown, token?: string) =>
    app.request(path, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  const login = async (username: string, password: string) => {
    const res = await json('POST', '/api/v1/auth/login', { username, password });
    return { status: res.status, body: (await res.json()) as { accessToken?: string; error?: string } };
  };

  beforeAll(async () => {
    let url: string;
    ({ db, url } = await createTestDatabase());
    const dir = mkdtempSync(join(tmpdir(), 'gic-hub-app-'));
    chmodSync(dir, 0o711);
    s3 = await startEmbeddedS3(join(dir, 's3'), await freePort(), 'gic-test');
    store = embeddedStore(s3);
    jobs = await JobQueue.start(url, () => {});
    const secret = await loadHubSecret(db);
    await ensureBootstrapAdmin(db, dir, log, 'admin-password-123');
    await insertUserIfAbsent(db, 'rita', await hashPassword('reviewer-password'), 'reviewer');
    app = createHubApp({
      log,
      metrics: createMetrics('gic_hub_test'),
      db,
      store,
      secret,
      api: {
        jobs,
        mqttPublicUrl: 'mqtt://hub.example:1883',
        hubPublicUrl: 'http://hub.example:8080',
        videos: {
          uploads: new VideoUploadService(db, store, log, { maxBytes: 64 * MIB, partBytes: 5 * MIB }),
          processor: new BatchProcessor(db, jobs, log, { retryLimit: 0 }),
          exports: new ExportService(db, store, jobs, log, { deviceNames: false, job: { retryLimit: 0 } }),
          urlTtlSeconds: 60,
        },
      },
      gpu: () => ({ executionProvider: null }),
    });
    adminToken = (await login('admin', 'admin-password-123')).body.accessToken!;
  });
  afterAll(async () => {
    await jobs.stop();
    store.close();
    await s3.stop();
    await db.end();
  });

  it('answers health checks and metrics, with a request id on every response', async () => {
    const ready = await app.request('/health/ready', { headers: { 'x-request-id': 'abc-123' } });
    expect(ready.status).toBe(200);
    expect(ready.headers.get('x-request-id')).toBe('abc-123');
    expect(await ready.json()).toMatchObject({
      ok: true,
      checks: { db: { ok: true }, storage: { ok: true } },
    });
    expect((await app.request('/health/db')).status).toBe(200);
    expect(await (await app.request('/health/gpu')).json()).toEqual({ ok: true, executionProvider: null });
    expect(await (await app.request('/metrics')).text()).toContain(
      'gic_hub_test_http_request_duration_seconds',
    );
    const missing = await app.request('/nope');
    expect(missing.status).toBe(404);
    expect((await missing.json()).requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('signs users in and rejects bad credentials and malformed bodies clearly', async () => {
    expect((await login('admin', 'wrong')).status).toBe(401);
    expect((await login('nobody', 'x')).body.error).toBe('invalid username or password');
    const bad = await json('POST', '/api/v1/auth/login', '{"username": 3');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toBe('body must be JSON');
    const missing = await json('POST', '/api/v1/auth/login', { username: 'admin' });
    expect((await missing.json()).error).toMatch(/password/);
  });

  it('lists procedures only for signed-in users and validates paging', async () => {
    expect((await app.request('/api/v1/procedures')).status).toBe(401);
    expect((await json('GET', '/api/v1/procedures', undefined, 'forged.token.value')).status).toBe(401);
    expect((await json('GET', '/api/v1/procedures?limit=0', undefined, adminToken)).status).toBe(400);
    const ok = await json('GET', '/api/v1/procedures', undefined, adminToken);
    expect(await ok.json()).toEqual({ items: [], nextCursor: null, total: 0, limit: 50 });
  });

  it('enrols a device once per admin-issued token', async () => {
    const reviewer = (await login('rita', 'reviewer-password')).body.accessToken!;
    expect((await json('POST', '/api/v1/devices/enrolment-tokens', {}, reviewer)).status).toBe(403);
    const created = await json('POST', '/api/v1/devices/enrolment-tokens', { ttlHours: 1 }, adminToken);
    expect(created.status).toBe(201);
    const { token } = await created.json();
    const { publicJwk } = await generateDeviceKeyPair();
    const enrol = await json('POST', '/api/v1/devices/enrol', {
      token,
      name: 'Room 4',
      publicKey: publicJwk,
    });
    expect(enrol.status).toBe(201);
    expect(await enrol.json()).toMatchObject({
      deviceId: expect.stringMatching(/^edge-[0-9a-f]{12}$/),
      mqttUrl: 'mqtt://hub.example:1883',
      hubUrl: 'http://hub.example:8080',
    });
    const again = await json('POST', '/api/v1/devices/enrol', {
      token,
      name: 'Room 5',
      publicKey: publicJwk,
    });
    expect(again.status).toBe(401);
    const withPrivate = await json('POST', '/api/v1/devices/enrol', {
      token,
      name: 'Room 6',
      publicKey: { ...publicJwk, d: 'A'.repeat(43) },
    });
    expect(withPrivate.status).toBe(400);
  });

  it('takes a multipart upload by presigned URLs and verifies its SHA-256 before calling it available', async () => {
    const keys = await generateDeviceKeyPair();
    const deviceId = 'edge-upload01';
    await db.query("INSERT INTO devices (id, name, public_jwk) VALUES ($1, 'room', $2)", [
      deviceId,
      JSON.stringify(keys.publicJwk),
    ]);
    const deviceToken = () =>
      signDeviceToken(keys.privateJwk, { deviceId, audience: HUB_API_AUDIENCE, ttlSeconds: 60 });
    expect((await json('POST', '/api/v1/uploads', {})).status).toBe(401);
    expect((await json('POST', '/api/v1/uploads', { procedureId: 'x' }, await deviceToken())).status).toBe(
      400,
    );

    const upload = async (file: Buffer, claimedSha: string) => {
      const start = await json(
        'POST',
        '/api/v1/uploads',
        { procedureId: randomUUID(), sizeBytes: file.length, sha256: claimedSha, partSizeBytes: 5 * MIB },
        await deviceToken(),
      );
      expect(start.status).toBe(201);
      const view = await start.json();
      expect(view).toMatchObject({ status: 'uploading', partCount: 2, partSizeBytes: 5 * MIB });
      const presigned = await json(
        'POST',
        `/api/v1/uploads/${view.uploadId}/parts`,
        { partNumbers: [1, 2, 3] },
        await deviceToken(),
      );
      expect(presigned.status).toBe(400);
      const { parts } = await (
        await json(
          'POST',
          `/api/v1/uploads/${view.uploadId}/parts`,
          { partNumbers: [1, 2] },
          await deviceToken(),
        )
      ).json();
      const etags = [];
      for (const { partNumber, url } of parts as { partNumber: number; url: string }[]) {
        expect(url).not.toContain(s3.credentials.secretAccessKey); // no secret in the URL, only a signature
        const body = file.subarray((partNumber - 1) * 5 * MIB, partNumber * 5 * MIB);
        const put = await fetch(url, { method: 'PUT', body: new Uint8Array(body) });
        expect(put.status).toBe(200);
        etags.push({ partNumber, etag: put.headers.get('etag')! });
      }
      const incomplete = await json(
        'POST',
        `/api/v1/uploads/${view.uploadId}/complete`,
        { parts: [etags[0]] },
        await deviceToken(),
      );
      expect(incomplete.status).toBe(400);
      const done = await json(
        'POST',
        `/api/v1/uploads/${view.uploadId}/complete`,
        { parts: etags },
        await deviceToken(),
      );
      expect(done.status).toBe(202);
      await verifyRecording(db, store, log, view.uploadId);
      return (await (
        await json('GET', `/api/v1/uploads/${view.uploadId}`, undefined, await deviceToken())
      ).json()) as {
        status: string;
        verifiedSha256: string;
        error: string | null;
      };
    };

    const file = randomBytes(7 * MIB);
    const sha = createHash('sha256').update(file).digest('hex');
    expect(await upload(file, sha)).toMatchObject({ status: 'available', verifiedSha256: sha, error: null });
    const lied = await upload(file, 'f'.repeat(64));
    expect(lied.status).toBe('corrupt');
    expect(lied.error).toMatch(/SHA-256/);
  });

  it('aborts uploads that made no progress for a day, and a device that returns starts afresh', async () => {
    const keys = await generateDeviceKeyPair();
    const deviceId = 'edge-stale0001';
    await db.query("INSERT INTO devices (id, name, public_jwk) VALUES ($1, 'room', $2)", [
      deviceId,
      JSON.stringify(keys.publicJwk),
    ]);
    const deviceToken = () =>
      signDeviceToken(keys.privateJwk, { deviceId, audience: HUB_API_AUDIENCE, ttlSeconds: 60 });
    const body = { procedureId: randomUUID(), sizeBytes: 6 * MIB, sha256: 'a'.repeat(64) };
    const first = await (await json('POST', '/api/v1/uploads', body, await deviceToken())).json();
    expect(await abortStaleUploads(db, store, log)).toBe(0);
    await db.query("UPDATE recordings SET updated_at = now() - interval '25 hours' WHERE id = $1", [
      first.uploadId,
    ]);
    expect(await abortStaleUploads(db, store, log)).toBe(1);
    const aborted = await (
      await json('GET', `/api/v1/uploads/${first.uploadId}`, undefined, await deviceToken())
    ).json();
    expect(aborted).toMatchObject({
      status: 'aborted',
      error: expect.stringMatching(/no progress for 24 h/),
    });
    const again = await json('POST', '/api/v1/uploads', body, await deviceToken());
    expect(again.status).toBe(201);
    expect((await again.json()).uploadId).not.toBe(first.uploadId);
  });
});

/**
 * Model rollout end to end, with a real hub (PostgreSQL, broker, object store) and a real edge
 * process running the tiny polyp model 1.0.0: a new version uploaded to the hub (a file whose SHA-256
 * is not the manifest's refused, naming it), rolled out to a tag, installed and healthy on the box with
 * the new version in its telemetry; a version whose weights do not load (true SHA-256) rolled back by
 * the box itself with the reason, and the rollout aborted; a rollout during a procedure deferred, then
 * done when the procedure ends, or when the box killed during it is started again; an operator's
 * rollback; every step in the audit log. The portal's
 * rollout pages, in Chromium: a rollout started from its form, the rollouts with their counts, a
 * rollout's devices with their states, paused, resumed and rolled back (asked first) from the page.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHubConfig } from '@gic/hub/config.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import {
  buildTinyPolypDetector,
  installTinyPolypModel,
  TINY_POLYP_ID,
  tinyPolypManifest,
} from '@gic/shared/testing/tiny-polyp-model.js';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, connectedDevice, enrolmentToken, until } from './helpers.js';
import { ARTIFACTS, launchChromium, openPortal } from './portal-browser.js';
import { freePort } from './ports.js';
import { kill, ready, spawnMain } from './processes.js';
import { testHubEnv } from './test-database.js';

const PASSWORD = 'rollout-admin-password';
const TAG = 'ward-a';
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface RolloutDevice {
  deviceId: string;
  stage: string;
  state: string;
  reason: string | null;
}

describe('model rollout to a box', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-rollout-'));
  const modelsDir = join(dir, 'models');
  let hub: RunningHub;
  let admin: string;
  let edge: ChildProcess;
  let edgeUrl: string;
  let edgeEnv: Record<string, string>;
  let deviceId: string;
  /** Chromium for the portal's pages, started beside the hub. */
  let browser: Promise<Browser> | undefined;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${hub.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  /** Registers `version` of the tiny model with `bytes` as its weights, and uploads them. */
  const upload = async (version: string, bytes: Uint8Array) => {
    const manifest = { ...tinyPolypManifest(sha(bytes), 64, 48), version };
    const created = await api('POST', '/api/v1/models', { manifest });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const [file] = created.body.uploads as { name: string; path: string }[];
    const put = await fetch(`${hub.httpUrl}${file!.path}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/octet-stream' },
      body: Buffer.from(bytes),
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ name: 'model.onnx', sha256: sha(bytes), ready: true });
  };
  /** Uploads `version` of the tiny model (working weights), then starts a procedure on the box. */
  const uploadAndStartProcedure = async (version: string) => {
    await upload(version, buildTinyPolypDetector({ width: 64, height: 48 }));
    const started = await fetch(`${edgeUrl}/api/v1/procedures`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(started.status).toBe(201);
  };
  /** Starts a rollout; resolves with its id and when it was posted. */
  const rollOut = async (version: string, extra: Record<string, unknown> = {}) => {
    const started = Date.now();
    const res = await api('POST', '/api/v1/rollouts', {
      modelId: TINY_POLYP_ID,
      version,
      tag: TAG,
      ...extra,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { id: res.body.id as string, started };
  };
  /** Waits (in the database: the API's rate is for people) for the rollout's device to reach `state`. */
  const deviceState = (rolloutId: string, states: string[]) =>
    until(
      `the rollout's device to be ${states.join(' or ')}`,
      async () => {
        const { rows } = await hub.db.query<{ state: string; reason: string | null }>(
          'SELECT state, reason FROM rollout_devices WHERE rollout_id = $1 AND device_id = $2',
          [rolloutId, deviceId],
        );
        return rows[0] && states.includes(rows[0].state) ? { ...rows[0], at: Date.now() } : undefined;
      },
      25_000,
      50,
    );
  const rolloutStatus = (id: string, status: string) =>
    until(`rollout ${status}`, async () => {
      const { rows } = await hub.db.query<{ status: string }>('SELECT status FROM rollouts WHERE id = $1', [
        id,
      ]);
      return rows[0]?.status === status ? true : undefined;
    });
  /** The version of the tiny model the box reports running, once it is `version`. */
  const runsVersion = (version: string) =>
    until(
      `the box to report ${TINY_POLYP_ID} ${version}`,
      async () => {
        const { rows } = await hub.db.query<{
          telemetry: { models?: { id: string; version: string }[] } | null;
        }>('SELECT telemetry FROM devices WHERE id = $1', [deviceId]);
        const model = rows[0]?.telemetry?.models?.find((m) => m.id === TINY_POLYP_ID);
        return model?.version === version ? Date.now() : undefined;
      },
      20_000,
    );

  beforeAll(async () => {
    browser = launchChromium();
    browser.catch(() => {}); // a failure is the browser test's, when it awaits it
    installTinyPolypModel(modelsDir);
    hub = await startHub(
      loadHubConfig({ ...(await testHubEnv(dir, PASSWORD)), GIC_ROLLOUT_INTERVAL_MS: '100' }),
      createLogger('rollout', 'silent'),
    );
    admin = await adminToken(hub.httpUrl, PASSWORD);
    const port = await freePort();
    edgeUrl = `http://127.0.0.1:${port}`;
    edgeEnv = {
      GIC_EDGE_DATA_DIR: join(dir, 'edge'),
      GIC_EDGE_PORT: String(port),
      GIC_HUB_URL: hub.httpUrl,
      GIC_ENROLMENT_TOKEN: await enrolmentToken(hub.httpUrl, PASSWORD),
      GIC_MODELS: TINY_POLYP_ID,
      GIC_MODELS_DIR: modelsDir,
      GIC_ANALYSIS_FPS: '2',
      GIC_PROCEDURE_AUTO: 'false',
      GIC_LOG_LEVEL: 'info',
    };
    edge = spawnMain('edge', edgeEnv);
    await ready(edge, `${edgeUrl}/health/live`, 30_000);
    deviceId = await connectedDevice(hub.db);
    expect((await api('PATCH', `/api/v1/devices/${deviceId}`, { tags: [TAG] })).status).toBe(200);
  }, 90_000);
  afterAll(async () => {
    await (await browser?.catch(() => undefined))?.close();
    if (edge) await kill(edge, 'SIGTERM');
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads a model (a file with the wrong SHA-256 refused, named) and lists it', async () => {
    const weights = buildTinyPolypDetector({ width: 64, height: 48 });
    const manifest = { ...tinyPolypManifest(sha(weights), 64, 48), version: '2.0.0' };
    expect((await api('POST', '/api/v1/models', { manifest })).status).toBe(201);
    expect((await api('POST', '/api/v1/models', { manifest })).status).toBe(409);
    const path = `/api/v1/models/${TINY_POLYP_ID}/2.0.0/files/model.onnx`;
    const put = (body: Uint8Array) =>
      fetch(`${hub.httpUrl}${path}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${admin}` },
        body: Buffer.from(body),
      });
    const wrong = await put(new TextEncoder().encode('something else'));
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: string }).error).toMatch(
      /^file model\.onnx: SHA-256 [0-9a-f]{64} \(14 bytes\), the manifest says [0-9a-f]{64}$/,
    );
    // Not ready: a rollout of it is refused with the missing file.
    const early = await api('POST', '/api/v1/rollouts', {
      modelId: TINY_POLYP_ID,
      version: '2.0.0',
      tag: TAG,
    });
    expect(early).toMatchObject({ status: 409, body: { error: expect.stringContaining('model.onnx') } });
    const right = await put(weights);
    expect(right.status).toBe(200);
    const listed = await api('GET', '/api/v1/models');
    expect(listed.body.items).toEqual([
      expect.objectContaining({
        id: TINY_POLYP_ID,
        version: '2.0.0',
        ready: true,
        storedFiles: ['model.onnx'],
      }),
    ]);
  });

  it('rolls the new version out to the tag: the box installs it, reports healthy and runs it', async () => {
    const { id, started } = await rollOut('2.0.0', { canary: 1, percent: 100 });
    const healthy = await deviceState(id, ['healthy', 'failed']);
    expect(healthy, JSON.stringify(healthy)).toMatchObject({ state: 'healthy' });
    await rolloutStatus(id, 'completed');
    const reported = await runsVersion('2.0.0');
    console.info(
      `rollout 2.0.0: POST to healthy in ${healthy.at - started} ms, to the version in telemetry in ${reported - started} ms`,
    );
    const shown = await api('GET', `/api/v1/rollouts/${id}`);
    expect(shown.body).toMatchObject({ status: 'completed', stage: 'done', counts: { healthy: 1 } });
    const [device] = shown.body.devices as (RolloutDevice & {
      install: { detail: Record<string, unknown> };
    })[];
    expect(device).toMatchObject({ deviceId, stage: 'canary', state: 'healthy' });
    expect(device!.install.detail).toMatchObject({ version: '2.0.0', previous: '1.0.0' });
    console.info(
      `on the box: ${JSON.stringify(device!.install.detail.stepsMs)} ms, reference frame ${device!.install.detail.latencyMs} ms`,
    );
  }, 30_000);

  it('rolls back by itself a version whose weights do not load, says why, and the rollout aborts', async () => {
    await upload('3.0.0', new TextEncoder().encode('not weights at all '.repeat(40)));
    const { id } = await rollOut('3.0.0', { maxFailures: 1 });
    const failed = await deviceState(id, ['healthy', 'failed']);
    expect(failed.state).toBe('failed');
    expect(failed.reason).toMatch(/^the model does not load: .+; rolled back to 2\.0\.0$/);
    await rolloutStatus(id, 'aborted');
    const shown = await api('GET', `/api/v1/rollouts/${id}`);
    expect(shown.body.reason).toMatch(/1 device\(s\) failed/);
    // Still running the version it had.
    await runsVersion('2.0.0');
  }, 30_000);

  it('defers a rollout during a procedure and completes it when the procedure ends; then an operator rolls it back', async () => {
    // Signed in to the portal meanwhile (seconds on a loaded machine), looked at once deferred.
    const portal = openPortal(await browser!, hub.httpUrl, PASSWORD, '#/');
    portal.catch(() => {}); // awaited below, or in finally
    try {
      await uploadAndStartProcedure('4.0.0');
      // Started from the portal's form: the versions with every file stored offered, the tag typed.
      const waitedAt = Date.now();
      const page = await portal;
      const pageAt = Date.now();
      await page.click('nav a[href="#/rollouts"]');
      await page.click('#rollout-new');
      await page.selectOption('#rollout-model', `${TINY_POLYP_ID}@4.0.0`);
      const models = (await api('GET', '/api/v1/models')).body.items as { id: string; version: string }[];
      expect(
        await page.$$eval('#rollout-model option', (options) =>
          options.map((o) => (o as HTMLOptionElement).value),
        ),
      ).toEqual(models.map((m) => `${m.id}@${m.version}`));
      await page.fill('#rollout-tag', TAG);
      await page.click('#rollout-form button[type=submit]');
      await page.waitForFunction(() => /^#\/rollouts\/[0-9a-f-]{36}$/.test(location.hash));
      const id = (await page.evaluate(() => location.hash)).split('/')[2]!;
      expect((await api('GET', `/api/v1/rollouts/${id}`)).body).toMatchObject({
        modelId: TINY_POLYP_ID,
        version: '4.0.0',
        tag: TAG,
        canary: 1,
        percent: 100,
        maxFailures: 1,
        createdBy: 'admin',
      });
      const deferred = await deviceState(id, ['deferred', 'healthy', 'failed']);
      expect(deferred).toMatchObject({
        state: 'deferred',
        reason: 'procedure in progress: done when it ends',
      });
      // Nothing switches while the procedure runs.
      await new Promise((r) => setTimeout(r, 500));
      expect((await deviceState(id, ['deferred', 'healthy', 'failed'])).state).toBe('deferred');

      // Its page shows the device deferred with the reason; the list every rollout with its counts.
      const row = page.locator(`#rollout-devices tr[data-device="${deviceId}"]`);
      await page.waitForFunction(
        (d) =>
          document.querySelector(`#rollout-devices tr[data-device="${d}"]`)?.getAttribute('data-state') ===
          'deferred',
        deviceId,
      );
      const [shown] = (await api('GET', `/api/v1/rollouts/${id}`)).body.devices as RolloutDevice[];
      expect(await row.getAttribute('data-state')).toBe(shown!.state);
      expect(await row.textContent()).toContain(shown!.reason);
      expect(await page.textContent('#rollout-title')).toBe(`${TINY_POLYP_ID} 4.0.0`);
      await page.click('#rollout a[href="#/rollouts"]');
      const listed = (await api('GET', '/api/v1/rollouts')).body.items as {
        id: string;
        version: string;
        status: string;
        counts: Record<string, number>;
      }[];
      expect(listed.map((r) => [r.version, r.counts])).toEqual([
        ['4.0.0', { deferred: 1 }],
        ['3.0.0', { failed: 1 }],
        ['2.0.0', { healthy: 1 }],
      ]);
      await page.locator(`#rollouts-table tr[data-rollout="${id}"]`).waitFor();
      expect(await page.locator('#rollouts-table tbody tr').count()).toBe(listed.length);
      for (const r of listed) {
        const row = page.locator(`#rollouts-table tr[data-rollout="${r.id}"]`);
        expect(await row.getAttribute('data-status')).toBe(r.status);
        const text = (await row.textContent()) ?? '';
        expect(text).toContain(r.version);
        for (const [state, n] of Object.entries(r.counts)) expect(text).toContain(`${n} ${state}`);
      }
      await page.screenshot({ path: join(ARTIFACTS, 'rollouts.png'), fullPage: true });
      await page.click(`#rollouts-table tr[data-rollout="${id}"] a`);
      await row.waitFor();
      const button = (action: string) => page.locator(`#rollout-actions button[data-action="${action}"]`);
      const status = async (s: string) => {
        await page.waitForFunction(
          (want) => document.querySelector('#rollout-status')?.getAttribute('data-status') === want,
          s,
        );
        expect((await api('GET', `/api/v1/rollouts/${id}`)).body.status).toBe(s);
      };
      expect(await button('resume').isDisabled()).toBe(true);
      await button('pause').click();
      await status('paused');
      expect(await button('pause').isDisabled()).toBe(true);
      await button('resume').click();
      await status('running');
      await page.screenshot({ path: join(ARTIFACTS, 'rollout.png'), fullPage: true });
      console.info(
        `rollout pages: waited ${pageAt - waitedAt} ms for the sign-in, then started, listed, paused and resumed in ${Date.now() - pageAt} ms`,
      );

      const endedAt = Date.now();
      const ended = await fetch(`${edgeUrl}/api/v1/procedures/current/end`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ by: 'nurse' }),
      });
      expect(ended.status).toBe(200);
      const healthy = await deviceState(id, ['healthy', 'failed']);
      expect(healthy.state).toBe('healthy');
      await runsVersion('4.0.0');
      console.info(`deferred rollout 4.0.0: procedure end to healthy in ${healthy.at - endedAt} ms`);

      // Rolled back from the page, once confirmed.
      let asked = '';
      page.once('dialog', (d) => {
        asked = d.message();
        return d.accept();
      });
      await page.waitForFunction(
        () => document.querySelector('#rollout-status')?.getAttribute('data-status') === 'completed',
      );
      await button('rollback').click();
      await status('rolled-back');
      expect(asked).toMatch(/^Roll back\?/);
      expect((await deviceState(id, ['rolled-back', 'failed'])).state).toBe('rolled-back');
      await page.waitForFunction(
        (d) =>
          document.querySelector(`#rollout-devices tr[data-device="${d}"]`)?.getAttribute('data-state') ===
          'rolled-back',
        deviceId,
      );
      await runsVersion('2.0.0');
      expect((await api('POST', `/api/v1/rollouts/${id}/resume`)).status).toBe(409);
    } finally {
      await (await portal.catch(() => undefined))?.close();
    }
  }, 60_000);

  it('takes a deferred install up again when the box is killed during the procedure and started again', async () => {
    await uploadAndStartProcedure('5.0.0');
    const { id } = await rollOut('5.0.0');
    expect((await deviceState(id, ['deferred', 'healthy', 'failed'])).state).toBe('deferred');
    // The box dies during the procedure; started again, it closes the procedure it left open and,
    // once the hub sends the install again at reconnection, switches from the copy it had staged.
    await kill(edge, 'SIGKILL');
    const restartedAt = Date.now();
    edge = spawnMain('edge', edgeEnv);
    await ready(edge, `${edgeUrl}/health/live`, 30_000);
    const healthy = await deviceState(id, ['healthy', 'failed']);
    expect(healthy).toMatchObject({ state: 'healthy', reason: null });
    await runsVersion('5.0.0');
    await rolloutStatus(id, 'completed');
    const { rows } = await hub.db.query<{ status: string; detail: Record<string, unknown> }>(
      `SELECT c.status, c.detail FROM device_commands c JOIN rollout_devices rd ON rd.command_id = c.id
        WHERE rd.rollout_id = $1`,
      [id],
    );
    expect(rows).toEqual([
      {
        status: 'succeeded',
        detail: expect.objectContaining({
          deferred: true,
          started: true,
          version: '5.0.0',
          previous: '2.0.0',
        }),
      },
    ]);
    console.info(`deferred rollout 5.0.0: box restart to healthy in ${healthy.at - restartedAt} ms`);
  }, 60_000);

  it('has every step in the audit log', async () => {
    const { rows } = await hub.db.query<{ action: string }>(
      "SELECT DISTINCT action FROM audit_log WHERE action LIKE 'rollout.%' OR action LIKE 'model.%'",
    );
    expect(rows.map((r) => r.action).sort()).toEqual(
      expect.arrayContaining([
        'model.create',
        'model.file',
        'model.list',
        'rollout.abort',
        'rollout.complete',
        'rollout.create',
        'rollout.device-deferred',
        'rollout.device-failed',
        'rollout.device-healthy',
        'rollout.device-rolled-back',
        'rollout.install-sent',
        'rollout.rollback',
        'rollout.rollback-sent',
      ]),
    );
  });
});

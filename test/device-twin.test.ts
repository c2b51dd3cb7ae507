/**
 * The device twin between a real hub and a real edge process: a desired configuration set over the
 * API while a procedure runs is taken at once where that is safe (the room's alert defaults) and
 * held where it would disturb (the procedure rules, the recording rate: a capture rebuild) until the
 * procedure ends, then the device is in
 * sync; a key the box sets itself wins and shows as drifted with the reason; a key only a start
 * applies is kept across a restart and applied by it; a bad configuration is refused naming the key.
 * The portal's device page, in Chromium, shows the state and the difference and edits the desired
 * configuration (the hub's reason shown on a refusal).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHubConfig } from '@gic/hub/config.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, connectedDevice, enrolmentToken, until } from './helpers.js';
import { ARTIFACTS, launchChromium, openPortal } from './portal-browser.js';
import { freePort } from './ports.js';
import { kill, ready, spawnMain } from './processes.js';
import { testHubEnv } from './test-database.js';

const PASSWORD = 'twin-admin-password';

interface TwinView {
  state: string;
  desiredVersion: number | null;
  reportedVersion: number | null;
  pending: string[];
  overridden: string[];
  reported: { values: Record<string, unknown>; restartRequired: string[] } | null;
  desired: Record<string, unknown> | null;
  desiredBy: string | null;
  difference: { key: string; desired: unknown; reported: unknown; why: string }[];
}

describe('the device twin', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-twin-'));
  let hub: RunningHub;
  let admin: string;
  let edge: ChildProcess;
  let edgeUrl: string;
  let deviceId: string;
  /** Chromium for the portal's pages, started beside the hub. */
  let browser: Promise<Browser> | undefined;
  let edgeEnv: Record<string, string>;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${hub.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const put = async (values: unknown) => {
    const res = await api('PUT', `/api/v1/devices/${deviceId}/config`, values);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.desiredVersion as number;
  };
  const twin = async () =>
    (await api('GET', `/api/v1/devices/${deviceId}/config`)).body as unknown as TwinView;
  /** Waits until the box has reported `version` and the twin reads `state`. */
  const reads = (version: number, state: string) =>
    until(
      `version ${version} to read ${state}`,
      async () => {
        const t = await twin();
        return t.reportedVersion === version && t.state === state ? t : undefined;
      },
      20_000,
      50,
    );
  const startEdge = async () => {
    edge = spawnMain('edge', edgeEnv);
    await ready(edge, `${edgeUrl}/health/live`, 30_000);
  };
  const procedure = (path: string) =>
    fetch(`${edgeUrl}/api/v1/procedures${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'nurse' }),
    });

  beforeAll(async () => {
    browser = launchChromium();
    browser.catch(() => {}); // a failure is the browser test's, when it awaits it
    hub = await startHub(
      // The twin is polled every 50 ms to time the box's answers, and the portal's device page shares
      // the admin's requests: no per-user limit here (test/people-access.test.ts judges the limits).
      loadHubConfig({ ...(await testHubEnv(dir, PASSWORD)), GIC_RATE_API_PER_MINUTE: '0' }),
      createLogger('twin', 'silent'),
    );
    admin = await adminToken(hub.httpUrl, PASSWORD);
    const port = await freePort();
    edgeUrl = `http://127.0.0.1:${port}`;
    edgeEnv = {
      GIC_EDGE_DATA_DIR: join(dir, 'edge'),
      GIC_EDGE_PORT: String(port),
      GIC_HUB_URL: hub.httpUrl,
      GIC_ENROLMENT_TOKEN: await enrolmentToken(hub.httpUrl, PASSWORD),
      GIC_MODELS: 'pp-ocrv4-det',
      GIC_MODELS_DIR: join(import.meta.dirname, '..', 'models'),
      GIC_ANALYSIS_FPS: '2',
      GIC_PROCEDURE_AUTO: 'false',
      // Set on the box itself: it wins over the hub.
      GIC_ALERT_COOLDOWN_MS: '1500',
    };
    await startEdge();
    deviceId = await connectedDevice(hub.db, ['online']);
  }, 90_000);
  afterAll(async () => {
    await (await browser?.catch(() => undefined))?.close();
    if (edge) await kill(edge, 'SIGTERM');
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads none before anything is desired, and refuses a bad configuration naming each key', async () => {
    expect(await twin()).toMatchObject({ state: 'none', desired: null, difference: [] });
    const bad = await api('PUT', `/api/v1/devices/${deviceId}/config`, {
      alerts: { sensitivity: 2 },
      analysis: { fpz: 3 },
      hubUrl: 'http://elsewhere:1',
    });
    expect(bad.status).toBe(400);
    const message = String(bad.body.error ?? bad.body.message ?? JSON.stringify(bad.body));
    expect(message).toMatch(/alerts\.sensitivity/);
    expect(message).toMatch(/fpz/);
    expect(message).toMatch(/hubUrl: is set on the box only/);
    expect((await api('PUT', '/api/v1/devices/no-such-device/config', {})).status).toBe(404);
  });

  it('applies the alert defaults at once during a procedure, holds the procedure rules until it ends, then is in sync', async () => {
    expect((await procedure('')).status).toBe(201);
    const putAt = Date.now();
    const version = await put({
      alerts: { sensitivity: 0.8 },
      procedures: { autoEndSeconds: 45 },
      recording: { fps: 25 },
    });
    const held = await reads(version, 'pending');
    const confirmedMs = Date.now() - putAt;
    expect(held.pending).toEqual(['procedures.autoEndSeconds', 'recording.fps']);
    expect(held.reported!.values['alerts.sensitivity']).toBe(0.8);
    const why = 'deferred until the procedure in progress ends';
    expect(held.difference).toEqual([
      { key: 'procedures.autoEndSeconds', desired: 45, reported: 30, why },
      { key: 'recording.fps', desired: 25, reported: 30, why },
    ]);
    // The procedure carries on meanwhile.
    const current = (await (await fetch(`${edgeUrl}/api/v1/procedures/current`)).json()) as {
      endedAt?: string;
    };
    expect(current.endedAt ?? null).toBeNull();

    const endAt = Date.now();
    expect((await procedure('/current/end')).status).toBe(200);
    const synced = await reads(version, 'in-sync');
    console.info(
      `twin: PUT to the box's first report ${confirmedMs} ms; procedure end to in-sync ${Date.now() - endAt} ms`,
    );
    expect(synced.difference).toEqual([]);
    expect(synced.reported!.values).toMatchObject({
      'alerts.sensitivity': 0.8,
      'procedures.autoEndSeconds': 45,
      'recording.fps': 25,
    });
    // The capture was rebuilt with the new recording rate, between procedures, and is live again.
    await until('the source live again', async () => {
      const live = (await (await fetch(`${edgeUrl}/api/v1/realtime/analysis`)).json()) as {
        source: { state: string };
      };
      return live.source.state === 'live' ? true : undefined;
    });
    const { rows } = await hub.db.query(
      "SELECT status FROM device_commands WHERE device_id = $1 AND kind = 'config'",
      [deviceId],
    );
    expect(rows).toEqual([{ status: 'succeeded' }]);
  });

  it('shows a key the box sets itself as drifted, with the reason; with no procedure the rest is in sync at once', async () => {
    const putAt = Date.now();
    const version = await put({ alerts: { sensitivity: 0.7, cooldownMs: 3000 } });
    const drifted = await reads(version, 'drifted');
    console.info(`twin: PUT to drifted (no procedure) ${Date.now() - putAt} ms`);
    expect(drifted.overridden).toEqual(['alerts.cooldownMs']);
    expect(drifted.difference).toEqual([
      {
        key: 'alerts.cooldownMs',
        desired: 3000,
        reported: 1500,
        why: 'overridden on the box by its environment variable GIC_ALERT_COOLDOWN_MS, which wins',
      },
    ]);
  });

  it('keeps a key only a start applies, and the next start applies it', async () => {
    const version = await put({ alerts: { sensitivity: 0.7 }, upload: { parallelParts: 2 } });
    const waiting = await reads(version, 'pending');
    expect(waiting.reported!.restartRequired).toEqual(['upload.parallelParts']);
    expect(waiting.difference.map((d) => [d.key, d.why])).toEqual([
      ['upload.parallelParts', 'takes effect at the box’s next start'],
    ]);
    // Cut off, as by a power cut: the desired configuration is in SQLite already.
    await kill(edge, 'SIGKILL');
    const restartAt = Date.now();
    await startEdge();
    const synced = await reads(version, 'in-sync');
    console.info(`twin: box restart to in-sync ${Date.now() - restartAt} ms`);
    expect(synced.reported!.values).toMatchObject({ 'alerts.sensitivity': 0.7, 'upload.parallelParts': 2 });
  }, 60_000);

  it('shows the configuration on the device page, with the hub’s reason for a bad one, and an edit pending then in sync', async () => {
    const shownAt = Date.now();
    const portal = openPortal(await browser!, hub.httpUrl, PASSWORD, `#/devices/${deviceId}`);
    portal.catch(() => {}); // awaited below, or in finally
    try {
      // A procedure holds the procedure rules: the edit below reads pending until it ends.
      expect((await procedure('')).status).toBe(201);
      const before = await twin();
      const page = await portal;
      const state = page.locator('#config-state');
      await state.waitFor();
      console.info(`twin page: sign-in to the configuration shown ${Date.now() - shownAt} ms`);
      expect(await state.getAttribute('data-state')).toBe(before.state);
      expect(await page.textContent('#config-desired-version')).toMatch(
        new RegExp(`^version ${before.desiredVersion} by ${before.desiredBy}`),
      );
      expect(await page.textContent('#config-reported-version')).toMatch(
        new RegExp(`^version ${before.reportedVersion}, reported`),
      );

      // The editor starts from the desired configuration.
      await page.click('#config-edit');
      expect(JSON.parse(await page.inputValue('#config-text'))).toEqual(before.desired);
      await page.fill('#config-text', '{"alerts": ');
      await page.click('#config-form button[type=submit]');
      expect(await page.textContent('#config-refusal')).toMatch(/^not JSON: /);
      // A configuration the hub refuses: its 400 reason, word for word, and the text kept.
      const bad = { alerts: { sensitivity: 2 }, hubUrl: 'http://elsewhere:1' };
      const refused = await api('PUT', `/api/v1/devices/${deviceId}/config`, bad);
      expect(refused.status).toBe(400);
      await page.fill('#config-text', JSON.stringify(bad));
      await page.click('#config-form button[type=submit]');
      await page.waitForFunction(
        (why) => document.querySelector('#config-refusal')?.textContent === why,
        refused.body.error,
      );
      expect(await page.inputValue('#config-text')).toBe(JSON.stringify(bad));
      expect((await twin()).desiredVersion).toBe(before.desiredVersion);

      // A valid one: saved, pending while the procedure runs (the difference says why), then in sync.
      const wanted = { alerts: { sensitivity: 0.65 }, procedures: { autoEndSeconds: 40 } };
      await page.fill('#config-text', JSON.stringify(wanted));
      const sentAt = Date.now();
      await page.click('#config-form button[type=submit]');
      const version = before.desiredVersion! + 1;
      await page.waitForFunction(
        (v) =>
          document.querySelector('#config-state')?.getAttribute('data-state') === 'pending' &&
          document.querySelector('#config-reported-version')?.textContent?.startsWith(`version ${v},`),
        version,
        { timeout: 15_000 },
      );
      console.info(`twin page: send to the box's report shown ${Date.now() - sentAt} ms`);
      expect(await page.locator('#config-form').count()).toBe(0);
      const held = await twin();
      expect(held).toMatchObject({ state: 'pending', desiredVersion: version, desired: wanted });
      expect(held.difference.length).toBeGreaterThan(0);
      const rows = await page.$$eval('#config-difference tbody tr', (trs) =>
        trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent)),
      );
      const cell = (v: unknown) => (v === null ? '-' : typeof v === 'string' ? v : JSON.stringify(v));
      expect(rows).toEqual(held.difference.map((d) => [d.key, cell(d.desired), cell(d.reported), d.why]));
      await page.screenshot({ path: join(ARTIFACTS, 'device-config.png'), fullPage: true });

      const endAt = Date.now();
      expect((await procedure('/current/end')).status).toBe(200);
      await page.waitForFunction(
        () => document.querySelector('#config-state')?.getAttribute('data-state') === 'in-sync',
        undefined,
        { timeout: 20_000 },
      );
      console.info(`twin page: procedure end to in sync shown ${Date.now() - endAt} ms`);
      expect(await page.locator('#config-difference').count()).toBe(0);
      expect((await twin()).state).toBe('in-sync');
    } finally {
      await (await portal.catch(() => undefined))?.close();
    }
  }, 60_000);
});

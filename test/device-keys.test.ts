/**
 * A box's identity over time, and the fleet pages, against a hub started from its config and a box started as a user
 * starts it (`node edge/dist/main.js`, clean environment): enrolment tokens that give tags, the fleet
 * list filtered by them, and key rotation (the box proves both keys; from then on only the new one
 * opens HTTP, MQTT and the JWKS), including a rotation cut short by a crash after the hub took it.
 * MQTT is checked with the `mqtt` package's own client, the JWKS with jose's key-set verifier.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHubConfig } from '@gic/hub/config.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import { type DeviceCredentials, saveDeviceCredentials } from '@gic/provisioning/device-credentials.js';
import { generateDeviceKeyPair } from '@gic/provisioning/device-keys.js';
import { BROKER_AUDIENCE, HUB_API_AUDIENCE, signDeviceToken } from '@gic/provisioning/device-token.js';
import { keyRotationRequest } from '@gic/provisioning/key-rotation.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { createLocalJWKSet, type JSONWebKeySet, type JWK, jwtVerify } from 'jose';
import mqtt from 'mqtt';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, until } from './helpers.js';
import { freePort } from './ports.js';
import { kill, ready, spawnAsUser, type UserProcess } from './processes.js';
import { testHubEnv } from './test-database.js';

const log = createLogger('device-keys', 'silent');
const PASSWORD = 'device-keys-admin-password';

describe("a box's tags and key rotation", () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-device-keys-'));
  const credentialsPath = join(dir, 'edge', 'device-credentials.json');
  let hub: RunningHub;
  let admin: string;
  let edge: UserProcess | undefined;
  let edgePort: number;

  beforeAll(async () => {
    hub = await startHub(loadHubConfig(await testHubEnv(dir, PASSWORD)), log);
    admin = await adminToken(hub.httpUrl, PASSWORD);
    edgePort = await freePort();
  }, 120_000);
  afterAll(async () => {
    if (edge) await kill(edge.child, 'SIGTERM');
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = async (method: string, path: string, body?: unknown, token = admin) => {
    const res = await fetch(`${hub.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
  };
  type DeviceView = { id: string; tags: string[]; status: string; key_rotated_at: string | null };
  const devices = async (query = '') =>
    (await api('GET', `/api/v1/devices${query}`)).body.items as DeviceView[];
  const startEdge = async (extra: Record<string, string> = {}) => {
    edge = spawnAsUser('edge', {
      GIC_EDGE_DATA_DIR: join(dir, 'edge'),
      GIC_EDGE_PORT: String(edgePort),
      GIC_EDGE_NAME: 'key-rotation-room',
      GIC_HUB_URL: hub.httpUrl,
      GIC_SOURCE: 'test',
      GIC_PROCEDURE_AUTO: 'false',
      GIC_MODELS: 'pp-ocrv4-det',
      ...extra,
    });
    await ready(edge.child, `http://127.0.0.1:${edgePort}/health/ready`, 60_000);
  };
  const stopEdge = async () => {
    if (edge) await kill(edge.child, 'SIGTERM');
    edge = undefined;
  };
  const credentials = () => JSON.parse(readFileSync(credentialsPath, 'utf8')) as DeviceCredentials;
  const deviceCall = async (c: { deviceId: string; privateJwk: JWK }) =>
    (
      await fetch(`${hub.httpUrl}/api/v1/devices/me/room-credentials`, {
        headers: {
          authorization: `Bearer ${await signDeviceToken(c.privateJwk, { deviceId: c.deviceId, audience: HUB_API_AUDIENCE })}`,
        },
      })
    ).status;
  /** 'connected', or the broker's refusal. */
  const mqttConnect = async (c: { deviceId: string; privateJwk: JWK }) => {
    const client = mqtt.connect(hub.mqttUrl, {
      protocolVersion: 4,
      clientId: `${c.deviceId}`,
      username: c.deviceId,
      password: await signDeviceToken(c.privateJwk, { deviceId: c.deviceId, audience: BROKER_AUDIENCE }),
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
    return new Promise<string>((resolve) => {
      client.once('connect', () => {
        client.end(true);
        resolve('connected');
      });
      client.once('error', (err) => {
        client.end(true);
        resolve(err.message);
      });
    });
  };
  const jwksVerifies = async (c: { deviceId: string; privateJwk: JWK }) => {
    const set = createLocalJWKSet(
      (await (await fetch(`${hub.httpUrl}/api/v1/devices/jwks.json`)).json()) as JSONWebKeySet,
    );
    const token = await signDeviceToken(c.privateJwk, { deviceId: c.deviceId, audience: BROKER_AUDIENCE });
    return jwtVerify(token, set, { audience: BROKER_AUDIENCE }).then(
      () => true,
      () => false,
    );
  };

  it('joins the tags of its enrolment token; the fleet list filters by tag; tags are edited and checked', async () => {
    const token = await api('POST', '/api/v1/devices/enrolment-tokens', {
      tags: ['canary', 'cf-h190', 'canary'],
    });
    expect(token.status).toBe(201);
    expect(token.body.tags).toEqual(['canary', 'cf-h190']);
    expect(
      (await api('POST', '/api/v1/devices/enrolment-tokens', { tags: ['Not A Tag!'] })).body.error,
    ).toMatch(/tags\.0: a tag is 1-40 lower-case/);

    await startEdge({ GIC_ENROLMENT_TOKEN: token.body.token as string });
    const { deviceId } = await until('the box to enrol', () => {
      try {
        return credentials();
      } catch {
        return undefined;
      }
    });
    await until('the box to be online at the hub', async () =>
      (await devices()).find((d) => d.id === deviceId)?.status === 'online' ? true : undefined,
    );
    expect((await devices('?tag=canary')).map((d) => d.id)).toEqual([deviceId]);
    expect(await devices('?tag=other')).toEqual([]);
    expect((await api('GET', '/api/v1/devices?tag=BAD TAG')).status).toBe(400);

    const patched = await api('PATCH', `/api/v1/devices/${deviceId}`, { tags: ['wave-2'] });
    expect(patched.status).toBe(200);
    expect(patched.body.tags).toEqual(['wave-2']);
    expect((await devices('?tag=canary')).map((d) => d.id)).toEqual([]);
    expect((await api('PATCH', `/api/v1/devices/${deviceId}`, {})).body.error).toMatch(
      /give site, room or tags/,
    );
  }, 120_000);

  it('rotates its key when due: both keys proven, then only the new one opens HTTP, MQTT and the JWKS', async () => {
    await stopEdge();
    const before = credentials();
    expect(await deviceCall(before)).toBe(200);
    // The key is 100 days old: the box rotates it at its next start (GIC_KEY_ROTATION_DAYS, default 90).
    writeFileSync(
      credentialsPath,
      JSON.stringify({ ...before, enrolledAt: new Date(Date.now() - 100 * 86_400_000).toISOString() }),
      { mode: 0o600 },
    );
    await startEdge();
    const after = await until('the box to rotate its key', () => {
      const c = credentials();
      return c.publicJwk.x !== before.publicJwk.x ? c : undefined;
    });
    expect(after.deviceId).toBe(before.deviceId);
    expect(Date.now() - Date.parse(after.keyCreatedAt!)).toBeLessThan(120_000);
    expect((await devices()).find((d) => d.id === before.deviceId)?.key_rotated_at).toBeTruthy();

    expect(await deviceCall(before)).toBe(401);
    expect(await deviceCall(after)).toBe(200);
    expect(await mqttConnect(before)).toMatch(/not authori[sz]ed|bad username or password/i);
    expect(await jwksVerifies(before)).toBe(false);
    expect(await jwksVerifies(after)).toBe(true);
    // The box itself carries on under the new key: restarted, it is online again.
    await stopEdge();
    await until('the hub to see the box go', async () =>
      (await devices()).find((d) => d.id === before.deviceId)?.status === 'offline' ? true : undefined,
    );
    await startEdge();
    await until('the box to be online with its new key', async () =>
      (await devices()).find((d) => d.id === before.deviceId)?.status === 'online' ? true : undefined,
    );
    expect(credentials().publicJwk.x).toBe(after.publicJwk.x);

    // The audit log (read by auditors only; here straight from the database).
    const { rows: records } = await hub.db.query<{
      outcome: string;
      actor_kind: string;
      object_id: string;
      detail: { from?: string; to?: string };
    }>("SELECT outcome, actor_kind, object_id, detail FROM audit_log WHERE action = 'device.key-rotate'");
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: 'ok', actor_kind: 'device', object_id: before.deviceId });
    expect(records[0]!.detail.from).not.toBe(records[0]!.detail.to);
  }, 120_000);

  it('finishes a rotation cut short after the hub took the new key, and refuses a bad proof or a taken key', async () => {
    await stopEdge();
    const current = credentials();
    // The box made its next pair and the hub took it, then the box lost power before saving it.
    const pair = await generateDeviceKeyPair();
    const next = { ...current, ...pair, keyCreatedAt: new Date().toISOString() } as DeviceCredentials;
    saveDeviceCredentials(`${credentialsPath}.next`, next);
    const asCurrent = await signDeviceToken(current.privateJwk, {
      deviceId: current.deviceId,
      audience: HUB_API_AUDIENCE,
    });
    const body = await keyRotationRequest(current.deviceId, next);

    // Refusals first: a proof signed by the old key, another device's key, no device token.
    const forged = { ...body, proof: (await keyRotationRequest(current.deviceId, current)).proof };
    expect((await api('POST', '/api/v1/devices/me/key', forged, asCurrent)).status).toBe(400);
    expect((await api('POST', '/api/v1/devices/me/key', body, 'not-a-token')).status).toBe(401);

    expect((await api('POST', '/api/v1/devices/me/key', body, asCurrent)).body).toMatchObject({
      rotated: true,
    });
    expect(await deviceCall(current)).toBe(401);
    // Another box cannot take the key this one now holds.
    const other = await generateDeviceKeyPair();
    const enrolled = await fetch(`${hub.httpUrl}/api/v1/devices/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        token: (await api('POST', '/api/v1/devices/enrolment-tokens', {})).body.token,
        name: 'another room',
        publicKey: other.publicJwk,
      }),
    });
    const otherId = ((await enrolled.json()) as { deviceId: string }).deviceId;
    const asOther = await signDeviceToken(other.privateJwk, {
      deviceId: otherId,
      audience: HUB_API_AUDIENCE,
    });
    const stolen = await keyRotationRequest(otherId, next);
    expect(await api('POST', '/api/v1/devices/me/key', stolen, asOther)).toMatchObject({
      status: 409,
      body: { error: 'another device holds that key' },
    });

    await startEdge();
    await until('the box to finish the rotation', () =>
      credentials().publicJwk.x === next.publicJwk.x ? true : undefined,
    );
    await until('the box to be online with the key the hub took', async () =>
      (await devices()).find((d) => d.id === current.deviceId)?.status === 'online' ? true : undefined,
    );
    expect(() => readFileSync(`${credentialsPath}.next`)).toThrow(/ENOENT/);
    expect(await deviceCall(next)).toBe(200);
  }, 120_000);

  it('shows the fleet and the box in Chromium: health, tags, key, telemetry charts; tags edited and a self-test run from the page', async () => {
    const { deviceId } = credentials();
    // At least one telemetry report (every 15 s) is stored: the charts have something to draw.
    await until(
      'a telemetry report at the hub',
      async () => {
        const { rows } = await hub.db.query(
          'SELECT count(*)::int AS n FROM device_telemetry WHERE device_id = $1',
          [deviceId],
        );
        return rows[0].n > 0 ? true : undefined;
      },
      40_000,
    );
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(hub.httpUrl);
      await page.fill('input[name=username]', 'admin');
      await page.fill('input[name=password]', PASSWORD);
      await page.click('#login button[type=submit]');
      await page.click('nav a[href="#/devices"]');
      const row = page.locator(`#fleet-table tr[data-device="${deviceId}"]`);
      await row.waitFor({ timeout: 15_000 });
      expect(await row.getAttribute('data-health')).toBe('ok');
      expect(await row.locator('.tags').textContent()).toBe('wave-2');
      // Filtered by a tag no box has: none listed, and the count says so.
      await page.fill('#fleet-tag', 'nobody-has-this');
      await page.click('#fleet form button[type=submit]');
      await page.waitForFunction(() =>
        document.querySelector('#fleet-counts')?.textContent?.startsWith('0 device(s)'),
      );
      await page.fill('#fleet-tag', '');
      await page.click('#fleet form button[type=submit]');

      await row.locator('a').click();
      await page.waitForSelector('#device-facts');
      expect(await page.textContent('#device-health')).toBe('online');
      expect(await page.textContent('#device-key')).toMatch(/^rotated /);
      expect(await page.textContent('#device-models')).toContain('pp-ocrv4-det');
      // Every chart is drawn (a uPlot canvas) over the stored reports.
      for (const chart of ['cpu', 'temperature', 'memory', 'disk', 'backlog']) {
        const figure = page.locator(`#telemetry-${chart}`);
        expect(Number(await figure.getAttribute('data-points'))).toBeGreaterThan(0);
        expect(await figure.locator('canvas').count()).toBe(1);
      }

      await page.click('#device-edit');
      await page.fill('#device-edit-tags', 'canary, wave-3');
      await page.click('#device-edit-form button[type=submit]');
      await page.waitForFunction(
        () => document.querySelector('#device-tags')?.textContent === 'canary, wave-3',
      );
      expect((await devices()).find((d) => d.id === deviceId)?.tags).toEqual(['canary', 'wave-3']);
      // A remote command from the page: the box runs its self-test and the history shows the answer.
      await page.click('#commands button[data-kind="self-test"]');
      const command = page.locator('#commands-table tr[data-kind="self-test"]').first();
      await page.waitForFunction(
        () =>
          document.querySelector('#commands-table tr[data-kind="self-test"]')?.getAttribute('data-status') ===
          'succeeded',
        undefined,
        { timeout: 20_000 },
      );
      const outcome = (await command.textContent()) ?? '';
      for (const check of ['models', 'source', 'disk', 'store', 'clock'])
        expect(outcome).toContain(`${check} ok`);
      await page.screenshot({
        path: join(import.meta.dirname, 'artifacts', 'fleet-device.png'),
        fullPage: true,
      });
    } finally {
      await browser.close();
    }
  }, 90_000);
});

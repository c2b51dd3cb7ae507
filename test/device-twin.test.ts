/**
 * The device twin between a real hub and a real edge process: a desired configuration set over the
 * API while a procedure runs is taken at once where that is safe (the room's alert defaults) and
 * held where it would disturb (the procedure rules, the recording rate: a capture rebuild) until the
 * procedure ends, then the device is in
 * sync; a key the box sets itself wins and shows as drifted with the reason; a key only a start
 * applies is kept across a restart and applied by it; a bad configuration is refused naming the key.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHubConfig } from '@gic/hub/config.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, enrolmentToken, until } from './helpers.js';
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
  difference: { key: string; desired: unknown; reported: unknown; why: string }[];
}

describe('the device twin', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-twin-'));
  let hub: RunningHub;
  let admin: string;
  let edge: ChildProcess;
  let edgeUrl: string;
  let deviceId: string;
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
    hub = await startHub(loadHubConfig(await testHubEnv(dir, PASSWORD)), createLogger('twin', 'silent'));
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
    deviceId = await until(
      'the box to enrol and connect',
      async () => {
        const { rows } = await hub.db.query<{ id: string }>("SELECT id FROM devices WHERE status = 'online'");
        return rows[0]?.id;
      },
      30_000,
      100,
    );
  }, 90_000);
  afterAll(async () => {
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
});

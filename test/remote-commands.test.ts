/**
 * Remote commands from the hub to a real edge process, as a fleet operator sends them over the API:
 * a self-test answers with its report, collected logs land in the object store with no secrets,
 * restarting the capture during a procedure is refused with the reason while the procedure carries
 * on, a command past its expiry is `expired` (answered so by the box, or by the hub when no box
 * answered), and a device cannot publish on its own `cmd` topic (a foreign MQTT client with its
 * credentials).
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signServiceToken } from '@gic/hub/auth/session-tokens.js';
import { loadHubConfig } from '@gic/hub/config.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import { generateDeviceKeyPair } from '@gic/provisioning/device-keys.js';
import { BROKER_AUDIENCE, signDeviceToken } from '@gic/provisioning/device-token.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { deviceTopic } from '@gic/shared/messages/topics.js';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, connectedDevice, enrolmentToken, until } from './helpers.js';
import { freePort } from './ports.js';
import { kill, ready, spawnMain } from './processes.js';
import { testHubEnv } from './test-database.js';

const PASSWORD = 'commands-admin-password';

interface CommandView {
  id: string;
  kind: string;
  status: string;
  reason: string | null;
  detail: Record<string, unknown> | null;
  issuedAt: string;
  expiresAt: string;
}

describe('remote commands to a box', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-commands-'));
  let hub: RunningHub;
  let admin: string;
  let edge: ChildProcess;
  let edgeUrl: string;
  let deviceId: string;
  /** A secret in the box's configuration: it must not reach the hub with the logs. */
  let boxToken: string;
  /** The first self-test, as the hub sent it and as the box answered it. */
  let firstSelfTest: { command: Record<string, unknown>; answeredAt: string };

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${hub.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  /** Issues a command; resolves with its id and when it was posted. */
  const issue = async (id: string, body: Record<string, unknown>) => {
    const postedAt = Date.now();
    const res = await api('POST', `/api/v1/devices/${id}/commands`, body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { id: res.body.id as string, postedAt };
  };
  /** Waits (in the database: the API's rate is for people) until the command is in a final state. */
  const settled = (commandId: string, final = ['succeeded', 'failed', 'refused', 'expired']) =>
    until(
      `command ${commandId} to be answered`,
      async () => {
        const { rows } = await hub.db.query<{ status: string }>(
          'SELECT status FROM device_commands WHERE id = $1',
          [commandId],
        );
        return rows[0] && final.includes(rows[0].status) ? Date.now() : undefined;
      },
      20_000,
      20,
    );
  const listed = async (id: string, commandId: string) => {
    const res = await api('GET', `/api/v1/devices/${id}/commands`);
    expect(res.status).toBe(200);
    return (res.body.items as CommandView[]).find((c) => c.id === commandId)!;
  };

  beforeAll(async () => {
    hub = await startHub(loadHubConfig(await testHubEnv(dir, PASSWORD)), createLogger('commands', 'silent'));
    admin = await adminToken(hub.httpUrl, PASSWORD);
    const port = await freePort();
    edgeUrl = `http://127.0.0.1:${port}`;
    boxToken = await enrolmentToken(hub.httpUrl, PASSWORD);
    edge = spawnMain('edge', {
      GIC_EDGE_DATA_DIR: join(dir, 'edge'),
      GIC_EDGE_PORT: String(port),
      GIC_HUB_URL: hub.httpUrl,
      GIC_ENROLMENT_TOKEN: boxToken,
      GIC_MODELS: 'pp-ocrv4-det',
      GIC_MODELS_DIR: join(import.meta.dirname, '..', 'models'),
      GIC_ANALYSIS_FPS: '2',
      GIC_PROCEDURE_AUTO: 'false',
      GIC_LOG_LEVEL: 'info',
    });
    await ready(edge, `${edgeUrl}/health/live`, 30_000);
    deviceId = await connectedDevice(hub.db);
    await until('video from the source', async () =>
      (await fetch(`${edgeUrl}/api/v1/realtime/preview.jpg`)).ok ? true : undefined,
    );
  }, 90_000);
  afterAll(async () => {
    if (edge) await kill(edge, 'SIGTERM');
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the self-test and answers with its report', async () => {
    const { id, postedAt } = await issue(deviceId, { kind: 'self-test' });
    const answeredAt = await settled(id);
    console.info(`self-test: POST to succeeded in ${answeredAt - postedAt} ms`);
    const command = await listed(deviceId, id);
    expect(command, JSON.stringify(command)).toMatchObject({ kind: 'self-test', status: 'succeeded' });
    firstSelfTest = {
      command: {
        id,
        kind: 'self-test',
        issuedAt: command.issuedAt,
        expiresAt: command.expiresAt,
        issuedBy: 'admin',
      },
      answeredAt: (command.detail!.checks as { clock: { now: string } }).clock.now,
    };
    const checks = command.detail!.checks as Record<string, { ok: boolean; [k: string]: unknown }>;
    expect(Object.keys(checks).sort()).toEqual(['clock', 'disk', 'models', 'source', 'store']);
    expect(checks.models).toMatchObject({ ok: true, loaded: [{ id: 'pp-ocrv4-det' }] });
    expect(checks.source).toMatchObject({ ok: true, state: 'live' });
    expect(checks.store!.ok).toBe(true);
    expect(checks.disk!.freeBytes).toBeGreaterThan(0);
    expect(Math.abs(checks.clock!.aheadOfHubMs as number)).toBeLessThan(5000);
  });

  it('collects the logs into the object store, linked from the command, with no secrets', async () => {
    const { id, postedAt } = await issue(deviceId, { kind: 'collect-logs' });
    const answeredAt = await settled(id);
    const command = await listed(deviceId, id);
    expect(command.status, JSON.stringify(command)).toBe('succeeded');
    console.info(
      `collect-logs: POST to succeeded in ${answeredAt - postedAt} ms, ${command.detail!.logLines} lines, ${command.detail!.logsBytes} bytes stored`,
    );
    const stored = await fetch(command.detail!.logsUrl as string);
    expect(stored.status).toBe(200);
    const text = await stored.text();
    const bundle = JSON.parse(text) as { log: string; config: Record<string, unknown> };
    expect(bundle.log).toContain('edge started');
    expect(bundle.config.hubUrl).toBe(hub.httpUrl);
    expect(bundle.config.enrolmentToken).toBe('[removed]');
    expect(text).not.toContain(boxToken);
  });

  it('refuses to restart the capture during a procedure, with the reason, and the procedure carries on; one marked safe runs', async () => {
    const started = await fetch(`${edgeUrl}/api/v1/procedures`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(started.status).toBe(201);
    const procedure = (await started.json()) as { id: string };
    const framesNow = async () => {
      const res = await fetch(`${edgeUrl}/api/v1/procedures/current`);
      return (await res.json()) as { id: string; frames: number };
    };
    const before = await framesNow();
    const { id, postedAt } = await issue(deviceId, { kind: 'restart-capture' });
    const answeredAt = await settled(id);
    console.info(`restart-capture during a procedure: POST to refused in ${answeredAt - postedAt} ms`);
    expect(await listed(deviceId, id)).toMatchObject({ status: 'refused', reason: 'procedure in progress' });
    const after = await until('more frames in the same procedure', async () => {
      const now = await framesNow();
      return now.frames > before.frames ? now : undefined;
    });
    expect(after.id).toBe(procedure.id);
    // One marked safe runs all the same.
    const safe = await issue(deviceId, { kind: 'self-test', safeDuringProcedure: true });
    await settled(safe.id);
    expect(await listed(deviceId, safe.id)).toMatchObject({ status: 'succeeded', safeDuringProcedure: true });
    expect((await framesNow()).id).toBe(procedure.id);
    const ended = await fetch(`${edgeUrl}/api/v1/procedures/current/end`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'nurse' }),
    });
    expect(ended.status).toBe(200);

    // With no procedure, the same command runs: the pipeline is rebuilt and the source is live again.
    const again = await issue(deviceId, { kind: 'restart-capture' });
    await settled(again.id);
    const restarted = await listed(deviceId, again.id);
    expect(restarted, JSON.stringify(restarted)).toMatchObject({
      status: 'succeeded',
      detail: { restarted: true, source: 'live' },
    });
    console.info(`restart-capture: live again ${restarted.detail!.liveAgainMs} ms after the restart`);
  });

  it('answers expired to a command past its expiry, shows expired one no box answered, and never runs one twice', async () => {
    // The box's answer: a command that reached it late (sent here as the hub would, already expired).
    const late = randomUUID();
    const issuedAt = new Date(Date.now() - 60_000);
    const expiresAt = new Date(Date.now() - 1000);
    await hub.db.query(
      `INSERT INTO device_commands (id, device_id, kind, issued_by, issued_at, expires_at)
       VALUES ($1, $2, 'self-test', 'admin', $3, $4)`,
      [late, deviceId, issuedAt, expiresAt],
    );
    const { rows } = await hub.db.query<{ value: string }>(
      "SELECT value FROM hub_settings WHERE key = 'jwt_secret'",
    );
    const secret = new Uint8Array(Buffer.from(rows[0]!.value, 'base64'));
    const service = await mqtt.connectAsync(hub.mqttUrl, {
      protocolVersion: 4,
      clientId: `hub:test-${randomUUID().slice(0, 8)}`,
      username: 'test',
      password: await signServiceToken(secret, 'test'),
      reconnectPeriod: 0,
    });
    await service.publishAsync(
      deviceTopic(deviceId, 'cmd'),
      JSON.stringify({
        id: late,
        kind: 'self-test',
        issuedAt: issuedAt.toISOString(),
        expiresAt: expiresAt.toISOString(),
        issuedBy: 'admin',
      }),
      { qos: 1 },
    );
    // The first self-test again, as a broker redelivers it: the box sends its first answer again, the
    // report of the first run (a second run would tell another time).
    const results: Record<string, unknown>[] = [];
    service.on('message', (_topic, payload) =>
      results.push(JSON.parse(payload.toString()) as Record<string, unknown>),
    );
    await service.subscribeAsync(deviceTopic(deviceId, 'cmd/result'), { qos: 1 });
    await service.publishAsync(deviceTopic(deviceId, 'cmd'), JSON.stringify(firstSelfTest.command), {
      qos: 1,
    });
    const repeat = await until('the answer to the repeat', () =>
      results.find((r) => r.commandId === firstSelfTest.command.id),
    );
    expect(repeat).toMatchObject({
      status: 'succeeded',
      detail: { checks: { clock: { now: firstSelfTest.answeredAt } } },
    });
    await service.endAsync();
    await settled(late);
    expect(await listed(deviceId, late)).toMatchObject({
      status: 'expired',
      reason: 'the command expired before it could start',
    });

    // The hub's view: a box that never connects does not answer; past its expiry the command reads expired.
    const silent = await enrolBare('room never online');
    const unanswered = await issue(silent.deviceId, { kind: 'self-test', ttlSeconds: 1 });
    await new Promise((r) => setTimeout(r, 1200));
    expect(await listed(silent.deviceId, unanswered.id)).toMatchObject({
      status: 'expired',
      reason: 'the device did not answer before the expiry',
    });
  });

  it('keeps a device from publishing on its own cmd topic; a result for an unknown command is ignored', async () => {
    const device = await enrolBare('foreign client');
    const client = await connectAs(device);
    const granted = await client.subscribeAsync(deviceTopic(device.deviceId, 'cmd'), { qos: 1 });
    expect(granted[0]?.qos).toBe(1);
    // A result for no command of this device: logged and ignored.
    await client.publishAsync(
      deviceTopic(device.deviceId, 'cmd/result'),
      JSON.stringify({ commandId: randomUUID(), status: 'succeeded', at: new Date().toISOString() }),
      { qos: 1 },
    );
    const received: string[] = [];
    client.on('message', (topic) => received.push(topic));
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    // MQTT 3.1.1 has no negative PUBACK: the broker closes the connection (3.3.5).
    void client
      .publishAsync(deviceTopic(device.deviceId, 'cmd'), '{"forged":true}', { qos: 1 })
      .catch(() => {});
    await Promise.race([
      closed,
      new Promise((_, reject) => setTimeout(() => reject(new Error('not closed')), 5000)),
    ]);
    client.end(true);
    expect(received).toEqual([]);
    // Another device's cmd too: the same refusal.
    const other = await connectAs(device);
    const otherClosed = new Promise<void>((resolve) => other.once('close', () => resolve()));
    void other.publishAsync(deviceTopic(deviceId, 'cmd'), '{"forged":true}', { qos: 1 }).catch(() => {});
    await otherClosed;
    other.end(true);
    // The hub still works: its table is unchanged by either.
    const { rows } = await hub.db.query('SELECT id FROM device_commands WHERE device_id = $1', [
      device.deviceId,
    ]);
    expect(rows).toEqual([]);
  });

  /** Enrols a device with keys made here (no edge process behind it). */
  async function enrolBare(name: string) {
    const keys = await generateDeviceKeyPair();
    const res = await fetch(`${hub.httpUrl}/api/v1/devices/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        token: await enrolmentToken(hub.httpUrl, PASSWORD),
        name,
        publicKey: keys.publicJwk,
      }),
    });
    expect(res.status).toBe(201);
    return { deviceId: ((await res.json()) as { deviceId: string }).deviceId, keys };
  }
  async function connectAs(device: Awaited<ReturnType<typeof enrolBare>>): Promise<MqttClient> {
    return mqtt.connectAsync(hub.mqttUrl, {
      protocolVersion: 4,
      clientId: device.deviceId,
      username: device.deviceId,
      password: await signDeviceToken(device.keys.privateJwk, {
        deviceId: device.deviceId,
        audience: BROKER_AUDIENCE,
      }),
      reconnectPeriod: 0,
    });
  }
});

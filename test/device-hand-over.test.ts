/**
 * A revoked box keeps what it has not synced, and hands it over once enrolled again: the hub revokes
 * a box mid-procedure (the box is started as a user starts it and goes on analysing and recording,
 * offline), an admin makes an enrolment token that names the revoked device, and the box, restarted
 * with it, enrols under a new identity and sends everything it held. The hub then has every
 * procedure, each analysed frame once and every recording verified, owned by the new device.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHubConfig } from '@gic/hub/config.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, until } from './helpers.js';
import { freePort } from './ports.js';
import { kill, ready, spawnAsUser, type UserProcess } from './processes.js';
import { testHubEnv } from './test-database.js';

const log = createLogger('hand-over', 'silent');
const PASSWORD = 'hand-over-admin-password';

describe('a revoked box enrolled again', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-hand-over-'));
  const clip = join(dir, 'clip.mp4');
  const credentialsPath = join(dir, 'edge', 'device-credentials.json');
  let hub: RunningHub;
  let admin: string;
  let edge: UserProcess | undefined;
  let edgePort: number;

  beforeAll(async () => {
    [hub] = await Promise.all([
      testHubEnv(dir, PASSWORD).then((env) => startHub(loadHubConfig(env), log)),
      generateSampleVideo(clip, { seconds: 6 }),
    ]);
    admin = await adminToken(hub.httpUrl, PASSWORD);
    edgePort = await freePort();
  }, 120_000);
  afterAll(async () => {
    if (edge) await kill(edge.child, 'SIGTERM');
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${hub.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
  };
  const startEdge = async (extra: Record<string, string>) => {
    edge = spawnAsUser('edge', {
      GIC_EDGE_DATA_DIR: join(dir, 'edge'),
      GIC_EDGE_PORT: String(edgePort),
      GIC_EDGE_NAME: 'hand-over-room',
      GIC_HUB_URL: hub.httpUrl,
      GIC_SOURCE: `file:${clip}`,
      GIC_REPLAY_REALTIME: 'true',
      GIC_MODELS: 'pp-ocrv4-det',
      GIC_ANALYSIS_FPS: '3',
      GIC_ANALYSIS_MIN_FPS: '3',
      GIC_PROCEDURE_AUTO_START_S: '0',
      ...extra,
    });
    await ready(edge.child, `http://127.0.0.1:${edgePort}/health/ready`, 60_000);
  };
  const deviceId = () => (JSON.parse(readFileSync(credentialsPath, 'utf8')) as { deviceId: string }).deviceId;
  const hubFrames = async () =>
    new Map(
      (
        await hub.db.query<{ procedure_id: string; n: number; d: number; device_id: string }>(
          `SELECT f.procedure_id, count(*)::int AS n, count(DISTINCT f.frame_index)::int AS d, p.device_id
             FROM frame_analyses f JOIN procedures p ON p.id = f.procedure_id GROUP BY f.procedure_id, p.device_id`,
        )
      ).rows.map((r) => [r.procedure_id, r]),
    );

  it('keeps its un-synced data while revoked and hands it over under its new identity, each frame once', async () => {
    const t0 = Date.now();
    const steps: string[] = [];
    const step = (what: string) => steps.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const first = await api('POST', '/api/v1/devices/enrolment-tokens', { tags: ['wave-1'], room: 'endo-3' });
    // Looping: the box keeps analysing and recording after it is revoked.
    await startEdge({ GIC_ENROLMENT_TOKEN: first.body.token as string, GIC_SOURCE_LOOP: 'true' });
    const oldId = await until('the box to enrol', () => {
      try {
        return deviceId();
      } catch {
        return undefined;
      }
    });
    await until('some analyses at the hub', async () =>
      [...(await hubFrames()).values()].some((p) => p.n >= 5) ? true : undefined,
    );
    step('enrolled and syncing');
    expect((await api('POST', `/api/v1/devices/${oldId}/revoke`)).status).toBe(200);
    const atRevocation = [...(await hubFrames()).values()].reduce((a, p) => a + p.n, 0);
    // Revoked, the box goes on: its analyses wait in its outbox.
    const local = new Database(join(dir, 'edge', 'edge.db'), { readonly: true, fileMustExist: true });
    try {
      await until(
        'analyses to wait on the box',
        () =>
          (local.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n > 10
            ? true
            : undefined,
        30_000,
      );
      step('analyses waiting');
      const stopping = Date.now();
      await kill(edge!.child, 'SIGTERM');
      step('revoked box stopped');
      // A slow stop says where its time went (each part logs when it has stopped).
      if (Date.now() - stopping > 10_000)
        console.info(
          `slow stop: ${JSON.stringify(edge!.logs.filter((l) => typeof l.part === 'string' && String(l.msg).includes('stop')))}`,
        );
      const waiting = (local.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
      expect(waiting).toBeGreaterThan(10);

      // Tokens that cannot replace: an unknown device, an active one.
      const other = await api('POST', '/api/v1/devices/enrolment-tokens', {});
      expect(other.status).toBe(201);
      expect(
        (await api('POST', '/api/v1/devices/enrolment-tokens', { replaces: 'edge-000000000000' })).status,
      ).toBe(409);
      const second = await api('POST', '/api/v1/devices/enrolment-tokens', { replaces: oldId });
      expect(second.status).toBe(201);
      // The replaced device's place and tags are the new one's defaults.
      expect(second.body).toMatchObject({ replaces: oldId, room: 'endo-3', tags: ['wave-1'] });

      // Not looping now: the clip ends and the box syncs everything under its new identity.
      await startEdge({ GIC_ENROLMENT_TOKEN: second.body.token as string, GIC_SOURCE_LOOP: 'false' });
      const newId = await until('the box to enrol again', () =>
        deviceId() !== oldId ? deviceId() : undefined,
      );
      await until(
        'every event confirmed and every recording verified',
        () => {
          const outbox = (local.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
          const open = (
            local.prepare('SELECT count(*) AS n FROM procedures WHERE ended_at IS NULL').get() as {
              n: number;
            }
          ).n;
          const unverified = (
            local.prepare("SELECT count(*) AS n FROM recordings WHERE status <> 'verified'").get() as {
              n: number;
            }
          ).n;
          const ended = (
            local.prepare("SELECT count(*) AS n FROM procedures WHERE end_reason = 'source-ended'").get() as {
              n: number;
            }
          ).n;
          return outbox + open + unverified === 0 && ended > 0 ? true : undefined;
        },
        90_000,
      );
      step('all synced');
      const procedures = local.prepare('SELECT id, frame_count FROM procedures').all() as {
        id: string;
        frame_count: number;
      }[];
      expect(procedures.length).toBeGreaterThanOrEqual(2);
      const atHub = await hubFrames();
      for (const p of procedures) {
        // Every analysed frame once, the procedure now the new device's.
        expect(atHub.get(p.id)).toEqual({
          procedure_id: p.id,
          n: p.frame_count,
          d: p.frame_count,
          device_id: newId,
        });
      }
      const total = procedures.reduce((a, p) => a + p.frame_count, 0);
      console.info(
        `hand-over: ${atRevocation} frames at the hub when revoked, ${waiting} events waiting on the box, ${total} frames at the hub after, in ${procedures.length} procedures, all owned by ${newId}; steps: ${steps.join(', ')}`,
      );
      const { rows: recordings } = await hub.db.query(
        "SELECT count(*)::int AS n FROM recordings WHERE device_id = $1 AND status = 'available'",
        [newId],
      );
      const localRecordings = (local.prepare('SELECT count(*) AS n FROM recordings').get() as { n: number })
        .n;
      expect(recordings[0].n).toBe(localRecordings);
      expect(
        (await hub.db.query('SELECT count(*)::int AS n FROM procedures WHERE device_id = $1', [oldId]))
          .rows[0].n,
      ).toBe(0);
      const { rows: audit } = await hub.db.query<{ detail: { replaces?: string } }>(
        "SELECT detail FROM audit_log WHERE action = 'device.enrol' AND object_id = $1",
        [newId],
      );
      expect(audit[0]?.detail.replaces).toBe(oldId);
      // A revoked device is replaced once only.
      expect((await api('POST', '/api/v1/devices/enrolment-tokens', { replaces: oldId })).status).toBe(409);
      // The old identity stays beside the new one, for the record.
      expect(readFileSync(`${credentialsPath}.${oldId}.revoked`, 'utf8')).toContain(oldId);
    } finally {
      local.close();
    }
  }, 180_000);
});

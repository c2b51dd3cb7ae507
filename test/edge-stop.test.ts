import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHubConfig } from '@gic/hub/config.js';
import { type EmbeddedS3Handle, startEmbeddedS3 } from '@gic/hub/embedded/embedded-s3.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolmentToken, until } from './helpers.js';
import { freePort } from './ports.js';
import { exited, reportErrors } from './processes.js';
import { createTestDatabase } from './test-database.js';

const root = join(import.meta.dirname, '..');

describe('an edge box on a live source stopped (SIGTERM) mid-procedure', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-edge-stop-'));
  chmodSync(dir, 0o711);
  let s3: EmbeddedS3Handle;
  let hub: RunningHub;
  let env: Record<string, string>;
  let child: ChildProcess | undefined;
  let output = '';

  const startEdgeProcess = (extra: Record<string, string> = {}) => {
    child = spawn(process.execPath, [join(root, 'edge/dist/main.js')], {
      env: { ...process.env, ...env, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => {
      output += d;
    });
    child.stderr!.on('data', (d) => {
      output += d;
    });
    return reportErrors(child, 'edge');
  };

  beforeAll(async () => {
    const { url, db } = await createTestDatabase();
    await db.end();
    s3 = await startEmbeddedS3(join(dir, 's3'), await freePort(), 'gic-recordings');
    hub = await startHub(
      loadHubConfig({
        DATABASE_URL: url,
        S3_ENDPOINT: s3.endpoint,
        S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
        S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
        GIC_MQTT_PORT: String(await freePort()),
        GIC_HUB_PORT: String(await freePort()),
        GIC_HUB_DATA_DIR: join(dir, 'hub'),
        GIC_ADMIN_PASSWORD: 'stop-admin-password',
      }),
      createLogger('edge-stop', 'silent'),
    );
    env = {
      GIC_EDGE_DATA_DIR: join(dir, 'edge'),
      GIC_EDGE_PORT: String(await freePort()),
      GIC_HUB_URL: hub.httpUrl,
      // A live source: the test pattern, which never ends and reads as outside the body.
      GIC_SOURCE: 'test',
      GIC_MODELS: 'pp-ocrv4-det',
      GIC_MODELS_DIR: join(root, 'models'),
      GIC_LOG_LEVEL: 'info',
    };
  }, 120_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await hub?.stop();
    await s3?.stop();
  });

  it('ends the procedure for the shutdown, seals its recording final, and the hub gets it all', async () => {
    const token = await enrolmentToken(hub.httpUrl, 'stop-admin-password');
    const edge = startEdgeProcess({ GIC_ENROLMENT_TOKEN: token });
    const edgeUrl = `http://127.0.0.1:${env.GIC_EDGE_PORT}`;
    await until(
      'the edge to answer',
      () =>
        fetch(`${edgeUrl}/health/live`).then(
          (r) => (r.ok ? true : undefined),
          () => undefined,
        ),
      60_000,
    );
    const started = await fetch(`${edgeUrl}/api/v1/procedures`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(started.status).toBe(201);
    const { id } = (await started.json()) as { id: string };
    const local = new Database(join(dir, 'edge/edge.db'), { readonly: true, fileMustExist: true });
    try {
      // Some video recorded for it (the recorder trails the live picture by 1.5 s), then the stop.
      await until(
        'a segment recording for the procedure',
        () => (local.prepare('SELECT 1 FROM recordings WHERE procedure_id = ?').get(id) ? true : undefined),
        60_000,
      );
      await new Promise((r) => setTimeout(r, 1500));
      edge.kill('SIGTERM');
      await exited(edge);
      expect(edge.exitCode).toBe(0);
      expect(output).not.toContain('closed a procedure left open');
      const procedure = local.prepare('SELECT ended_at, end_reason FROM procedures WHERE id = ?').get(id) as {
        ended_at: string | null;
        end_reason: string | null;
      };
      // Before the fix the stop's own end of stream was taken for a lost source: the procedure stayed
      // open until the box started again, and the hub waited for it.
      expect(procedure.end_reason).toBe('shutdown');
      expect(procedure.ended_at).not.toBeNull();
      const segments = local
        .prepare('SELECT status, final FROM recordings WHERE procedure_id = ? ORDER BY segment_index')
        .all(id) as { status: string; final: number }[];
      expect(segments.length).toBeGreaterThan(0);
      expect(segments.every((s) => s.status !== 'recording')).toBe(true);
      expect(segments.at(-1)!.final).toBe(1);
    } finally {
      local.close();
    }

    // Started again, the box sends what the stop left unsent and uploads the recording; nothing is
    // taken for a crash.
    output = '';
    startEdgeProcess();
    await until(
      'the hub to hold the ended procedure with its recording verified',
      async () => {
        const { rows } = await hub.db.query<{ end_reason: string | null; n: number; available: number }>(
          `SELECT p.end_reason,
                  (SELECT count(*)::int FROM recording_seals s WHERE s.procedure_id = p.id AND s.final) AS n,
                  (SELECT count(*)::int FROM recordings r WHERE r.procedure_id = p.id AND r.status = 'available') AS available
             FROM procedures p WHERE p.id = $1`,
          [id],
        );
        const row = rows[0];
        return row && row.end_reason === 'shutdown' && row.n === 1 && row.available > 0 ? true : undefined;
      },
      90_000,
    );
    expect(output).not.toContain('closed a procedure left open');
  }, 240_000);
});

import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHubConfig } from '@gic/hub/config.js';
import { type EmbeddedS3Handle, startEmbeddedS3 } from '@gic/hub/embedded/embedded-s3.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolmentToken, until } from './helpers.js';
import { freePort } from './ports.js';
import { reportErrors } from './processes.js';
import { createTestDatabase } from './test-database.js';

const root = join(import.meta.dirname, '..');

describe('an edge box killed with SIGKILL mid-work, again and again', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-crash-'));
  chmodSync(dir, 0o711);
  let s3: EmbeddedS3Handle;
  let hub: RunningHub;
  let env: Record<string, string>;
  let child: ChildProcess | undefined;

  const startEdgeProcess = (extra: Record<string, string> = {}) => {
    child = spawn(process.execPath, [join(root, 'edge/dist/main.js')], {
      env: { ...process.env, ...env, ...extra },
      stdio: 'ignore',
    });
    return reportErrors(child, 'edge');
  };

  beforeAll(async () => {
    const clip = join(dir, 'clip.mp4');
    await generateSampleVideo(clip, { seconds: 5, width: 640, height: 360 });
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
        GIC_ADMIN_PASSWORD: 'crash-admin-password',
      }),
      createLogger('crash', 'silent'),
    );
    env = {
      GIC_EDGE_DATA_DIR: join(dir, 'edge'),
      GIC_EDGE_PORT: String(await freePort()),
      GIC_HUB_URL: hub.httpUrl,
      GIC_SOURCE: `file:${clip}`,
      GIC_ANALYSIS_FPS: '5',
      GIC_ANALYSIS_MIN_FPS: '5', // a fixed rate: the counts below must not depend on motion
      GIC_MODELS: 'pp-ocrv4-det',
      GIC_MODELS_DIR: join(root, 'models'),
      GIC_LOG_LEVEL: 'warn',
      // Each run is killed a few seconds in: start its procedure at the first in-body frame.
      GIC_PROCEDURE_AUTO_START_S: '0',
    };
  }, 120_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await hub?.stop();
    await s3?.stop();
  });

  it('closes what each crash left open, resends what was unconfirmed, and uploads every recording intact', async () => {
    const token = await enrolmentToken(hub.httpUrl, 'crash-admin-password');

    // Three runs killed part-way, each after some analyses have reached the hub.
    // Frames per procedure at the hub: a run's own analyses are those of a procedure new to the hub
    // (a restarted edge first resends what the last run left unconfirmed, which must not count).
    const framesByProcedure = async () =>
      new Map(
        (
          await hub.db.query<{ procedure_id: string; n: number }>(
            'SELECT procedure_id, count(*)::int AS n FROM frame_analyses GROUP BY procedure_id',
          )
        ).rows.map((r) => [r.procedure_id, r.n]),
      );
    for (let i = 0; i < 3; i++) {
      const before = await framesByProcedure();
      // Looping, so that however slowly the hub catches up, the clip cannot end before the kill.
      const edge = startEdgeProcess({
        GIC_SOURCE_LOOP: 'true',
        ...(i === 0 ? { GIC_ENROLMENT_TOKEN: token } : {}),
      });
      await until("2.5 s of this run's analyses to arrive", async () =>
        [...(await framesByProcedure())].some(([id, n]) => !before.has(id) && n > 12) ? true : undefined,
      );
      await new Promise((r) => setTimeout(r, 300 + 400 * i));
      edge.kill('SIGKILL');
      await new Promise((r) => edge.once('exit', r));
    }
    // The fourth run (not looping) is left to finish the clip and sync everything.
    const last = startEdgeProcess();
    const local = new Database(join(dir, 'edge/edge.db'), { readonly: true, fileMustExist: true });
    try {
      await until(
        'every procedure closed, every event confirmed and every recording verified',
        () => {
          const open = local.prepare('SELECT count(*) AS n FROM procedures WHERE ended_at IS NULL').get() as {
            n: number;
          };
          const outbox = local.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number };
          const unverified = local
            .prepare("SELECT count(*) AS n FROM recordings WHERE status <> 'verified'")
            .get() as {
            n: number;
          };
          // Until the last run's own procedure has ended too: it starts at the clip's first in-body
          // frame, which can come after the runs before it are closed and their backlog confirmed.
          const ended = local
            .prepare("SELECT count(*) AS n FROM procedures WHERE end_reason = 'source-ended'")
            .get() as { n: number };
          return ended.n > 0 && open.n + outbox.n + unverified.n === 0 ? true : undefined;
        },
        90_000,
      );
      const procedures = local
        .prepare('SELECT id, frame_count, end_reason FROM procedures ORDER BY started_at')
        .all() as {
        id: string;
        frame_count: number;
        end_reason: string;
      }[];
      expect(procedures).toHaveLength(4);
      expect(procedures.map((p) => p.end_reason)).toEqual([
        'shutdown',
        'shutdown',
        'shutdown',
        'source-ended',
      ]);
      // Events lost = 0 and duplicates = 0, per procedure.
      for (const p of procedures) {
        const { rows } = await hub.db.query(
          'SELECT count(*)::int AS n, count(DISTINCT frame_index)::int AS d FROM frame_analyses WHERE procedure_id = $1',
          [p.id],
        );
        expect(rows[0]).toEqual({ n: p.frame_count, d: p.frame_count });
      }
      const events = await hub.db.query(
        'SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM device_events',
      );
      expect(events.rows[0].n).toBe(events.rows[0].d);
      // Uploads corrupted = 0: the hub verified each recording's SHA-256 against the edge's own.
      const recordings = local
        .prepare('SELECT procedure_id, sha256 FROM recordings ORDER BY created_at')
        .all() as {
        procedure_id: string;
        sha256: string;
      }[];
      // Every procedure recorded (a killed run that looped its clip has a segment per pass).
      expect(new Set(recordings.map((r) => r.procedure_id))).toEqual(new Set(procedures.map((p) => p.id)));
      for (const p of procedures) {
        const mine = recordings.filter((r) => r.procedure_id === p.id).map((r) => r.sha256);
        const { rows } = await hub.db.query(
          'SELECT status, sha256_verified FROM recordings WHERE procedure_id = $1',
          [p.id],
        );
        expect(rows.map((r) => r.status)).toEqual(mine.map(() => 'available'));
        expect(rows.map((r) => r.sha256_verified).sort()).toEqual(mine.sort());
      }
    } finally {
      local.close();
      last.kill('SIGTERM');
      await new Promise((r) => last.once('exit', r));
    }
  }, 180_000);
});

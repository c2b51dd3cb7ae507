import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEdgeConfig } from '@gic/edge/config.js';
import { type RunningEdge, startEdge } from '@gic/edge/edge-process.js';
import { loadHubConfig } from '@gic/hub/config.js';
import { type EmbeddedS3Handle, startEmbeddedS3 } from '@gic/hub/embedded/embedded-s3.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import { loadTimeline } from '@gic/hub/procedures/procedure-timeline.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { timelineOffsetMs } from '../hub/web/portal/lib/playlist.js';
import { enrolmentToken, until } from './helpers.js';
import { freePort } from './ports.js';
import { kill, ready, spawnMain } from './processes.js';
import { createTestDatabase } from './test-database.js';

const log = createLogger('broker-restart', (process.env.GIC_TEST_LOG as 'info') ?? 'silent');
const AWAY_MS = 4000; // how long the broker process stays dead, mid-procedure

/**
 * The hub's roles as two processes against one PostgreSQL and one object store: the embedded broker
 * alone in a child process, and api + ingest + worker here. Only the broker is killed (SIGKILL, so
 * nothing is flushed or said goodbye to): the edge and the ingest both lose MQTT while HTTP stays up,
 * and the broker comes back empty (aedes keeps sessions and retained messages in memory).
 */
describe('the broker process killed mid-procedure and started again', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-broker-'));
  chmodSync(dir, 0o711);
  let s3: EmbeddedS3Handle;
  let hub: RunningHub;
  let edge: RunningEdge;
  let broker: ChildProcess | undefined;
  let brokerEnv: Record<string, string>;
  let brokerReady: string;

  const startBroker = async () => {
    broker = spawnMain('hub', brokerEnv);
    await ready(broker, brokerReady);
  };

  beforeAll(async () => {
    const clip = join(dir, 'clip.mp4');
    await generateSampleVideo(clip, { seconds: 12, width: 640, height: 360 });
    const { url, db } = await createTestDatabase();
    await db.end();
    s3 = await startEmbeddedS3(join(dir, 's3'), await freePort(), 'gic-recordings');
    const [mqtt, brokerHttp, apiHttp, edgePort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const shared = {
      DATABASE_URL: url,
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    };
    brokerEnv = {
      ...shared,
      GIC_HUB_ROLES: 'broker',
      GIC_MQTT_PORT: String(mqtt),
      GIC_HUB_PORT: String(brokerHttp),
      GIC_HUB_DATA_DIR: join(dir, 'broker'),
    };
    brokerReady = `http://127.0.0.1:${brokerHttp}/health/ready`;
    await startBroker();
    hub = await startHub(
      loadHubConfig({
        ...shared,
        GIC_HUB_ROLES: 'api,ingest,worker',
        MQTT_URL: `mqtt://127.0.0.1:${mqtt}`,
        GIC_HUB_PORT: String(apiHttp),
        GIC_HUB_DATA_DIR: join(dir, 'api'),
        GIC_ADMIN_PASSWORD: 'broker-admin-password',
      }),
      log,
    );
    edge = await startEdge(
      loadEdgeConfig({
        GIC_EDGE_DATA_DIR: join(dir, 'edge'),
        GIC_EDGE_PORT: String(edgePort),
        GIC_HUB_URL: hub.httpUrl,
        GIC_ENROLMENT_TOKEN: await enrolmentToken(hub.httpUrl, 'broker-admin-password'),
        GIC_SOURCE: `file:${clip}`,
        GIC_REPLAY_REALTIME: 'true',
        GIC_ANALYSIS_FPS: '5',
        GIC_ANALYSIS_MIN_FPS: '5', // a fixed rate: the counts below must not depend on motion
        GIC_MODELS_DIR: join(import.meta.dirname, '..', 'models'),
        GIC_MODELS: 'pp-ocrv4-det',
      }),
      log,
    );
  }, 120_000);

  afterAll(async () => {
    await edge?.stop();
    await hub?.stop();
    if (broker) await kill(broker, 'SIGTERM');
    await s3?.stop();
  });

  it('loses no event, duplicates none, and the recording arrives whole', async () => {
    const local = <T>(sql: string) => edge.db.prepare(sql).get() as T;
    const edgeFrames = () => local<{ n: number }>('SELECT count(*) AS n FROM frame_analyses').n;
    const hubCount = async (sql: string) => Number((await hub.db.query(sql)).rows[0].n);
    await until('first frames at the hub', async () =>
      (await hubCount('SELECT count(*) AS n FROM frame_analyses')) > 0 ? true : undefined,
    );

    const ask = async (text: string, sessionId?: string) => {
      const res = await fetch(`${edge.httpUrl}/api/v1/chat/message`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text, by: 'trainee.1', ...(sessionId ? { sessionId } : {}) }),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { message: { sessionId: string } }).message.sessionId;
    };
    const sessionId = await ask('What does the withdrawal time measure?');

    await kill(broker!, 'SIGKILL');
    const killedAt = Date.now();
    const framesAtKill = edgeFrames();
    await new Promise((r) => setTimeout(r, AWAY_MS / 2));
    await ask('And what is a good one?', sessionId); // asked in the room while the broker is away
    await new Promise((r) => setTimeout(r, AWAY_MS / 2));
    // The procedure went on: analysed, kept in SQLite and queued, while HTTP to the hub still worked
    // (however slow the machine: the broker stays away until it has).
    await until(
      'analysis with the broker away',
      () => (edgeFrames() > framesAtKill + 10 ? true : undefined),
      60_000,
    );
    expect(local<{ n: number }>('SELECT count(*) AS n FROM outbox').n).toBeGreaterThan(10);
    expect((await fetch(`${hub.httpUrl}/health/live`)).ok).toBe(true);
    const screen = (await (await fetch(`${edge.httpUrl}/api/v1/realtime/analysis`)).json()) as {
      sync: { connected: boolean };
    };
    expect(screen.sync.connected).toBe(false);
    await startBroker();
    const restartedAt = Date.now();
    // What queued while the broker was away, and how long the hub takes to confirm all of it.
    const backlog = local<{ n: number; last: number }>('SELECT count(*) AS n, max(seq) AS last FROM outbox');
    await until(
      'the backlog to be confirmed',
      () =>
        edge.db.prepare('SELECT 1 FROM outbox WHERE seq <= ? LIMIT 1').get(backlog.last) ? undefined : true,
      60_000,
    );
    const backlogConfirmedAt = Date.now();

    expect((await edge.sourceEnded).kind).toBe('eos');
    await until('the outbox to drain', () =>
      local<{ n: number }>('SELECT count(*) AS n FROM outbox').n === 0 ? true : undefined,
    );
    const recording = await until('the recording to be verified', async () => {
      const r = (await hub.db.query("SELECT sha256_verified FROM recordings WHERE status = 'available'"))
        .rows[0];
      return r as { sha256_verified: string } | undefined;
    });

    // Every event the edge ever made has a sequence number; none is reused, so the last is the count.
    const produced = local<{ last_seq: number }>('SELECT last_seq FROM event_sequence').last_seq;
    const { rows } = await hub.db.query(
      `SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d, count(DISTINCT seq)::int AS seqs,
              max(seq)::int AS max FROM device_events`,
    );
    const events = rows[0] as { n: number; d: number; seqs: number; max: number };
    const byType = Object.fromEntries(
      (await hub.db.query('SELECT type, count(*)::int AS n FROM device_events GROUP BY type')).rows.map(
        (r) => [r.type, r.n],
      ),
    );
    const frames = edgeFrames();
    const procedures = local<{ n: number }>('SELECT count(*) AS n FROM procedures').n;
    const alerts = await hubCount('SELECT count(*) AS n FROM alerts');
    const chat = await hubCount('SELECT count(DISTINCT message_id)::int AS n FROM chat_messages');
    const edgeSha = local<{ sha256: string }>('SELECT sha256 FROM recordings').sha256;
    const lost = produced - events.d;
    const duplicated = events.n - events.d;
    console.log(
      `broker-restart: broker process SIGKILLed, down ${((restartedAt - killedAt) / 1000).toFixed(1)} s mid-procedure; ` +
        `events produced ${produced}, at hub ${events.n} (distinct ${events.d}): lost ${lost}, duplicated ${duplicated}; ` +
        `frames edge ${frames} / hub ${byType['frame.analysed'] ?? 0}; alerts ${alerts}; chat messages ${chat}; ` +
        `recording sha256 ${recording.sha256_verified === edgeSha ? 'equal' : 'DIFFERENT'}; ` +
        `backlog of ${backlog.n} confirmed ${((backlogConfirmedAt - restartedAt) / 1000).toFixed(1)} s after the broker was back`,
    );

    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
    expect(events.seqs).toBe(produced);
    expect(events.max).toBe(produced);
    expect(byType).toMatchObject({
      'procedure.started': procedures,
      'procedure.ended': procedures,
      'frame.analysed': frames,
      'recording.sealed': 2, // at the file's end, then again as final once the procedure ended
      'chat.message': 4, // two questions and their answers
    });
    expect(await hubCount('SELECT count(*)::int AS n FROM chat_messages')).toBe(4);
    expect(chat).toBe(4);
    expect(
      await hubCount('SELECT count(DISTINCT (procedure_id, frame_index))::int AS n FROM frame_analyses'),
    ).toBe(frames);
    expect(await hubCount('SELECT count(*)::int AS n FROM frame_analyses')).toBe(frames);
    expect(recording.sha256_verified).toBe(edgeSha);

    // A live source's seal says when the recording's first frame was captured, the final seal (which
    // says nothing of it) kept it, and each live frame says when it was captured: the timeline sits on
    // the video at the difference. The recording began with the clip, before the procedure's first
    // analysed frame (the edge's frame count starts at the first frame it took, which on a busy CPU
    // is not the clip's first): the timeline starts a little into the video.
    const seal = (
      await hub.db.query<{ procedure_id: string; started_at: Date | null }>(
        'SELECT procedure_id, started_at FROM recording_seals',
      )
    ).rows[0]!;
    expect(seal.started_at).not.toBeNull();
    const timeline = (await loadTimeline(hub.db, seal.procedure_id))!;
    const offsetMs = timelineOffsetMs(null, timeline.durationMs, {
      videoStartedAt: seal.started_at!.toISOString(),
      timelineStartedAt: timeline.startedAt,
    });
    console.log(`broker-restart: the timeline starts ${offsetMs} ms into the recording`);
    expect(offsetMs).toBeGreaterThanOrEqual(-250); // the recorder's encoder may open a little late
    expect(offsetMs).toBeLessThan(5_000);
  }, 120_000);
});

/**
 * The hub acknowledges an event only once it is committed: its PostgreSQL is taken away (the network
 * to it cut, with a proxy the test controls) while a live procedure's events arrive. Nothing may be
 * acknowledged then, so the edge deletes nothing; once PostgreSQL is back, everything arrives, once.
 * "Once" is judged against the edge's own numbering: every sequence number it gave out, and every
 * frame index it analysed, not a count the database's keys already make unique.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEdgeConfig } from '@gic/edge/config.js';
import { type RunningEdge, startEdge } from '@gic/edge/edge-process.js';
import { loadHubConfig } from '@gic/hub/config.js';
import { createDatabase, type Database } from '@gic/hub/db/database.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolmentToken, sequenceAtHub, until } from './helpers.js';
import { freePort } from './ports.js';
import { TcpProxy } from './tcp-proxy.js';
import { testHubEnv } from './test-database.js';

const log = createLogger('ingest-commit', 'silent');
const PASSWORD = 'ingest-commit-admin-pw';

describe('an acknowledgement only after the commit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-ingest-commit-'));
  chmodSync(dir, 0o711);
  let hub: RunningHub;
  let edge: RunningEdge;
  let proxy: TcpProxy;
  /** The test's own connection, straight to PostgreSQL (not through the proxy). */
  let db: Database;

  beforeAll(async () => {
    const clip = join(dir, 'clip.mp4');
    await generateSampleVideo(clip, { seconds: 10, width: 640, height: 360 });
    const env = await testHubEnv(dir, PASSWORD);
    const direct = new URL(env.DATABASE_URL!);
    proxy = new TcpProxy(Number(direct.port), await freePort());
    await proxy.start();
    const viaProxy = new URL(direct);
    viaProxy.port = String(proxy.port);
    db = createDatabase(direct.toString(), 2);
    hub = await startHub(loadHubConfig({ ...env, DATABASE_URL: viaProxy.toString() }), log);
    edge = await startEdge(
      loadEdgeConfig({
        GIC_EDGE_DATA_DIR: join(dir, 'edge'),
        GIC_EDGE_PORT: String(await freePort()),
        GIC_HUB_URL: hub.httpUrl,
        GIC_ENROLMENT_TOKEN: await enrolmentToken(hub.httpUrl, PASSWORD),
        GIC_SOURCE: `file:${clip}`,
        GIC_REPLAY_REALTIME: 'true',
        GIC_ANALYSIS_FPS: '5',
        GIC_ANALYSIS_MIN_FPS: '5',
        GIC_MODELS_DIR: join(import.meta.dirname, '..', 'models'),
        GIC_MODELS: 'pp-ocrv4-det',
      }),
      log,
    );
  }, 120_000);

  afterAll(async () => {
    await edge?.stop();
    await hub?.stop();
    await proxy?.stop();
    await db?.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('acknowledges nothing while PostgreSQL is away, so the edge keeps every event, and takes each once when it is back', async () => {
    const outboxSeqs = () =>
      new Set((edge.db.prepare('SELECT seq FROM outbox').all() as { seq: number }[]).map((r) => r.seq));
    const edgeFrames = () =>
      (edge.db.prepare('SELECT count(*) AS n FROM frame_analyses').get() as { n: number }).n;
    const hubEvents = async () =>
      Number((await db.query('SELECT count(*) AS n FROM device_events')).rows[0].n);
    await until('first events at the hub', async () => ((await hubEvents()) > 3 ? true : undefined));

    // PostgreSQL goes away while the procedure goes on.
    proxy.cut();
    const committedBefore = await hubEvents();
    // What was in flight when it went may still have been confirmed: judge from a moment later.
    await new Promise((r) => setTimeout(r, 1000));
    const held = outboxSeqs();
    const framesAtCut = edgeFrames();
    await until(
      'more frames analysed and queued',
      () => (edgeFrames() >= framesAtCut + 10 ? true : undefined),
      60_000,
    );
    await new Promise((r) => setTimeout(r, 2000)); // past the edge's resend and the hub's retries
    const stillHeld = outboxSeqs();
    const deleted = [...held].filter((seq) => !stillHeld.has(seq));
    expect(deleted, 'events the edge deleted while PostgreSQL was away').toEqual([]);
    expect(stillHeld.size).toBeGreaterThan(held.size); // and the new ones queued behind them
    expect(await hubEvents()).toBe(committedBefore);
    console.info(
      `PostgreSQL away: ${stillHeld.size} events held on the edge, none acknowledged, none deleted (${held.size} at the cut)`,
    );

    proxy.restore();
    expect((await edge.sourceEnded).kind).toBe('eos');
    await until('the outbox to drain', () => (outboxSeqs().size === 0 ? true : undefined), 60_000);

    // Every number the edge gave out arrived, and only once.
    const { last_seq: lastSeq } = edge.db
      .prepare('SELECT last_seq FROM event_sequence WHERE id = 1')
      .get() as {
      last_seq: number;
    };
    expect(await sequenceAtHub(db, lastSeq)).toEqual({ missing: [], repeated: [] });
    // Every frame the edge analysed is at the hub, under the same index, once.
    const edgeIndices = (
      edge.db.prepare('SELECT frame_index FROM frame_analyses ORDER BY frame_index').all() as {
        frame_index: number;
      }[]
    ).map((r) => r.frame_index);
    const { rows: hubIndices } = await db.query<{ frame_index: number }>(
      'SELECT frame_index FROM frame_analyses ORDER BY frame_index',
    );
    expect(hubIndices.map((r) => r.frame_index)).toEqual(edgeIndices);
    console.info(
      `after PostgreSQL came back: sequence 1..${lastSeq} all at the hub, none repeated; ${edgeIndices.length} frames`,
    );
  }, 150_000);
});

import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEdgeConfig } from '@gic/edge/config.js';
import { type RunningEdge, startEdge } from '@gic/edge/edge-process.js';
import { loadHubConfig } from '@gic/hub/config.js';
import { type EmbeddedS3Handle, startEmbeddedS3 } from '@gic/hub/embedded/embedded-s3.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolmentToken, sequenceAtHub, until } from './helpers.js';
import { freePort } from './ports.js';
import { TcpProxy } from './tcp-proxy.js';
import { createTestDatabase } from './test-database.js';

const log = createLogger('faults', 'silent');

describe('store and forward through network cuts and a hub restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-faults-'));
  chmodSync(dir, 0o711);
  let s3: EmbeddedS3Handle;
  let hub: RunningHub;
  let edge: RunningEdge;
  let proxy: TcpProxy;
  let hubConfig: ReturnType<typeof loadHubConfig>;

  beforeAll(async () => {
    const clip = join(dir, 'clip.mp4');
    await generateSampleVideo(clip, { seconds: 8, width: 640, height: 360 });
    const { url, db } = await createTestDatabase();
    await db.end();
    s3 = await startEmbeddedS3(join(dir, 's3'), await freePort(), 'gic-recordings');
    const [mqtt, http, proxyPort, edgePort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    hubConfig = loadHubConfig({
      DATABASE_URL: url,
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      GIC_MQTT_PORT: String(mqtt),
      GIC_HUB_PORT: String(http),
      GIC_HUB_DATA_DIR: join(dir, 'hub'),
      GIC_ADMIN_PASSWORD: 'faults-admin-password',
      // Devices reach the broker through the proxy, so the test can cut them off.
      GIC_MQTT_PUBLIC_URL: `mqtt://127.0.0.1:${proxyPort}`,
    });
    hub = await startHub(hubConfig, log);
    proxy = new TcpProxy(mqtt, proxyPort);
    await proxy.start();
    const token = await enrolmentToken(hub.httpUrl, 'faults-admin-password');
    edge = await startEdge(
      loadEdgeConfig({
        GIC_EDGE_DATA_DIR: join(dir, 'edge'),
        GIC_EDGE_PORT: String(edgePort),
        GIC_HUB_URL: hub.httpUrl,
        GIC_ENROLMENT_TOKEN: token,
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
    await proxy?.stop();
    await hub?.stop();
    await s3?.stop();
  });

  it('loses nothing and duplicates nothing', async () => {
    const edgeFrames = () =>
      (edge.db.prepare('SELECT count(*) AS n FROM frame_analyses').get() as { n: number }).n;
    const hubFrames = async () =>
      Number((await hub.db.query('SELECT count(*) FROM frame_analyses')).rows[0].count);
    await until('first frames at the hub', async () => ((await hubFrames()) > 0 ? true : undefined));

    // Cut the network for 2 s of a live procedure: the edge goes on analysing and keeps everything.
    proxy.cut();
    const atCut = edgeFrames();
    await new Promise((r) => setTimeout(r, 2000));
    // However slow the machine, the cut lasts until the edge has analysed and queued more frames.
    await until('analysis during the cut', () => (edgeFrames() > atCut + 5 ? true : undefined), 60_000);
    const pending = (edge.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
    expect(pending).toBeGreaterThan(5);
    proxy.restore();

    // Restart the whole hub (broker sessions and all) while the edge is still sending.
    await new Promise((r) => setTimeout(r, 500));
    await hub.stop();
    // Hub, broker and ingest all away for 3 s: the edge keeps analysing and queueing.
    await new Promise((r) => setTimeout(r, 3000));
    hub = await startHub(hubConfig, log);

    expect((await edge.sourceEnded).kind).toBe('eos');
    await until('the outbox to drain', () =>
      (edge.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n === 0 ? true : undefined,
    );
    const total = edgeFrames();
    // 50 frames at most (10 s at 5 fps); a loaded machine analyses fewer (28 in one CI run, with
    // the unit project beside it), and it is what was analysed that must all arrive, once.
    expect(total).toBeGreaterThanOrEqual(20);
    expect(await hubFrames()).toBe(total);
    const events = await hub.db.query(
      // The device's learned mask layout travels as its own events, about the device, not the procedure.
      "SELECT count(*)::int AS n FROM device_events WHERE type <> 'device.mask-layout'",
    );
    // start, end, frames, and the recording sealed twice (at the file's end, then final: see e2e-demo-path)
    expect(events.rows[0]).toEqual({ n: total + 4 });
    // Judged against the edge's own numbering: every sequence number it gave out arrived once ...
    const { last_seq: lastSeq } = edge.db.prepare('SELECT last_seq FROM event_sequence').get() as {
      last_seq: number;
    };
    expect(await sequenceAtHub(hub.db, lastSeq)).toEqual({ missing: [], repeated: [] });
    // ... and every frame it analysed, under the same index.
    const edgeIndices = (
      edge.db.prepare('SELECT frame_index FROM frame_analyses ORDER BY frame_index').all() as {
        frame_index: number;
      }[]
    ).map((r) => r.frame_index);
    const frames = await hub.db.query('SELECT frame_index FROM frame_analyses ORDER BY frame_index');
    expect(frames.rows.map((r: { frame_index: number }) => r.frame_index)).toEqual(edgeIndices);
    const recording = await until('the recording to be verified', async () => {
      const r = (await hub.db.query('SELECT status FROM recordings')).rows[0];
      return r?.status === 'available' ? r : undefined;
    });
    expect(recording.status).toBe('available');
  }, 120_000);
});

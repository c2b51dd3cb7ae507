/**
 * A hub on one host and an edge on another, on one machine: the hub listens on 127.0.0.2 only and
 * devices reach it by another address, 127.0.0.3 (forwarded to it, as a public address or a NAT
 * in front of a hub would be). Nothing listens where the edge's defaults point (127.0.0.1), and the
 * edge is told only where to enrol: everything after that works only through the URLs the hub
 * hands out (HTTP API, MQTT broker, presigned S3 uploads).
 */
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEdgeConfig } from '@gic/edge/config.js';
import { type RunningEdge, startEdge } from '@gic/edge/edge-process.js';
import { loadHubConfig } from '@gic/hub/config.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolmentToken, until } from './helpers.js';
import { freePort } from './ports.js';
import { TcpProxy } from './tcp-proxy.js';
import { createTestDatabase } from './test-database.js';

const log = createLogger('two-hosts', 'warn');
const HUB_HOST = '127.0.0.2';
const PUBLIC_HOST = '127.0.0.3';

/** Whether anything accepts a TCP connection at host:port. */
function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, host, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

describe('a hub on one host, an edge on another', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-two-hosts-'));
  let hub: RunningHub;
  let edge: RunningEdge;
  const proxies: Record<'http' | 'mqtt' | 's3', TcpProxy> = {} as never;
  const ports = { http: 0, mqtt: 0, s3: 0 };

  beforeAll(async () => {
    const clip = join(dir, 'clip.mp4');
    await generateSampleVideo(clip, { seconds: 3, width: 640, height: 360 });
    const { url, db } = await createTestDatabase();
    await db.end();
    [ports.http, ports.mqtt, ports.s3] = await Promise.all([freePort(), freePort(), freePort()]);
    const config = loadHubConfig({
      DATABASE_URL: url,
      GIC_HUB_HOST: HUB_HOST, // HTTP, the embedded broker and the embedded S3 server all listen here
      GIC_HUB_PUBLIC_HOST: PUBLIC_HOST, // and devices are told this address for all three
      GIC_HUB_PORT: String(ports.http),
      GIC_MQTT_PORT: String(ports.mqtt),
      GIC_EMBEDDED_S3_PORT: String(ports.s3),
      GIC_HUB_DATA_DIR: join(dir, 'hub'),
      GIC_ADMIN_PASSWORD: 'two-hosts-admin-password',
    });
    hub = await startHub(config, log);
    for (const part of ['http', 'mqtt', 's3'] as const) {
      proxies[part] = new TcpProxy(ports[part], ports[part], { host: PUBLIC_HOST, targetHost: HUB_HOST });
      await proxies[part].start();
    }
    const token = await enrolmentToken(`http://${HUB_HOST}:${ports.http}`, 'two-hosts-admin-password');
    edge = await startEdge(
      loadEdgeConfig({
        GIC_EDGE_DATA_DIR: join(dir, 'edge'),
        GIC_EDGE_PORT: String(await freePort()),
        GIC_HUB_URL: `http://${PUBLIC_HOST}:${ports.http}`, // the one address the edge is given
        GIC_ENROLMENT_TOKEN: token,
        GIC_SOURCE: `file:${clip}`,
        GIC_REPLAY_REALTIME: 'false',
        GIC_ANALYSIS_FPS: '3',
        GIC_ANALYSIS_MIN_FPS: '3',
        GIC_PROCEDURE_AUTO_START_S: '1',
        GIC_MODELS: 'pp-ocrv4-det',
        GIC_MODELS_DIR: join(import.meta.dirname, '..', 'models'),
      }),
      log,
    );
  }, 120_000);

  afterAll(async () => {
    await edge?.stop();
    await hub?.stop();
    for (const p of Object.values(proxies)) await p.stop();
  });

  it('listens only on its own address', async () => {
    for (const port of Object.values(ports)) {
      expect(await answers(HUB_HOST, port)).toBe(true);
      expect(await answers('127.0.0.1', port)).toBe(false); // where the edge's defaults point
    }
  });

  it('enrols the edge with URLs on the public address, which then syncs its events and uploads its recording', async () => {
    const credentials = await edge.enrolled;
    expect(credentials.hubUrl).toBe(`http://${PUBLIC_HOST}:${ports.http}`);
    expect(credentials.mqttUrl).toBe(`mqtt://${PUBLIC_HOST}:${ports.mqtt}`);
    expect((await edge.sourceEnded).kind).toBe('eos');
    const local = edge.db.prepare('SELECT id, frame_count FROM procedures').get() as {
      id: string;
      frame_count: number;
    };
    expect(local.frame_count).toBeGreaterThan(0);
    // Every event through the broker at the public address, into PostgreSQL.
    await until(
      'the outbox to drain',
      () =>
        (edge.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n === 0
          ? true
          : undefined,
      60_000,
    );
    const { rows } = await hub.db.query('SELECT device_frame_count FROM procedures WHERE id = $1', [
      local.id,
    ]);
    expect(rows[0]?.device_frame_count).toBe(local.frame_count);
    // The recording, by presigned URLs on the public address, verified by the hub.
    const recording = await until(
      'the recording to be verified',
      async () => {
        const r = (
          await hub.db.query(
            "SELECT status FROM recordings WHERE procedure_id = $1 AND status = 'available'",
            [local.id],
          )
        ).rows[0];
        return r as { status: string } | undefined;
      },
      60_000,
    );
    expect(recording.status).toBe('available');
    // And each of the three went through the public address.
    expect(proxies.http.accepted).toBeGreaterThan(0);
    expect(proxies.mqtt.accepted).toBeGreaterThan(0);
    expect(proxies.s3.accepted).toBeGreaterThan(0);
  }, 120_000);
});

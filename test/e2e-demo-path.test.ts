import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { bandLuma } from '@gic/edge/capture/testing/test-clips.js';
import { loadEdgeConfig } from '@gic/edge/config.js';
import { type RunningEdge, startEdge } from '@gic/edge/edge-process.js';
import { loadHubConfig } from '@gic/hub/config.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import { loadFrameAnalyzer } from '@gic/shared/analysis/load-analyzer.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { readFileFrames } from '@gic/shared/media/file-frames.js';
import { generateSampleVideo, SAMPLE_OSD_MASKS } from '@gic/shared/media/sample-video.js';
import { readIdentifiers } from '@gic/shared/testing/ocr-oracle.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { adminToken, enrolmentToken, until } from './helpers.js';
import { freePort } from './ports.js';

const log = createLogger('e2e', 'warn');
const modelsDir = join(import.meta.dirname, '..', 'models');
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('the demo path, end to end on embedded defaults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-e2e-'));
  chmodSync(dir, 0o711); // embedded PostgreSQL runs as user postgres when tests run as root
  const samplePath = join(dir, 'sample.mp4');
  let hub: RunningHub;
  let edge: RunningEdge;
  let accessToken: string;

  beforeAll(async () => {
    await generateSampleVideo(samplePath, { seconds: 4 });
    const [http, mqtt, pg, s3, edgePort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    hub = await startHub(
      loadHubConfig({
        GIC_HUB_DATA_DIR: join(dir, 'hub'),
        GIC_HUB_PORT: String(http),
        GIC_MQTT_PORT: String(mqtt),
        GIC_EMBEDDED_PG_PORT: String(pg),
        GIC_EMBEDDED_S3_PORT: String(s3),
        GIC_ADMIN_PASSWORD: 'e2e-admin-password',
      }),
      log,
    );
    accessToken = await adminToken(hub.httpUrl, 'e2e-admin-password');
    const token = await enrolmentToken(hub.httpUrl, 'e2e-admin-password');
    edge = await startEdge(
      loadEdgeConfig({
        GIC_EDGE_DATA_DIR: join(dir, 'edge'),
        GIC_EDGE_PORT: String(edgePort),
        GIC_HUB_URL: hub.httpUrl,
        GIC_ENROLMENT_TOKEN: token,
        GIC_SOURCE: `file:${samplePath}`,
        // A fixed 3 fps, so the frame counts below do not depend on how much the clip moves.
        GIC_ANALYSIS_FPS: '3',
        GIC_ANALYSIS_MIN_FPS: '3',
        GIC_REPLAY_REALTIME: 'false',
        GIC_PRIVACY_MASKS: JSON.stringify(SAMPLE_OSD_MASKS),
        GIC_MODELS_DIR: modelsDir,
      }),
      log,
    );
  }, 120_000);

  afterAll(async () => {
    await edge?.stop();
    await hub?.stop();
  });

  it('analyses every sampled frame, syncs it to PostgreSQL and uploads a verified, masked recording', async () => {
    expect((await edge.sourceEnded).kind).toBe('eos');
    const recording = await until('the hub to verify the recording', async () => {
      const { rows } = await hub.db.query(
        `SELECT r.*, p.started_at, p.ended_at, p.device_frame_count FROM recordings r JOIN procedures p ON p.id = r.procedure_id`,
      );
      // The end of the procedure and the verified recording arrive on separate paths: wait for both.
      return rows[0]?.status === 'available' && rows[0].device_frame_count !== null ? rows[0] : undefined;
    });

    // SQLite on the edge: 4 s at 3 fps, every analysis kept, every event confirmed by the hub.
    const local = edge.db.prepare('SELECT analysis FROM frame_analyses ORDER BY frame_index').all() as {
      analysis: string;
    }[];
    expect(local.length).toBeGreaterThanOrEqual(11);
    expect(local.length).toBeLessThanOrEqual(13);
    const analyses = local.map((r) => JSON.parse(r.analysis));
    expect(analyses.every((a) => a.models[0]?.id === 'pp-ocrv4-det' && a.quality.inBody)).toBe(true);
    // The detector finds the burned-in identity band in every frame.
    expect(analyses.every((a) => a.privacyRegions.some((b: { y: number }) => b.y < 0.14))).toBe(true);
    await until('the outbox to drain', async () =>
      (edge.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n === 0 ? true : undefined,
    );

    // PostgreSQL: the procedure, every analysis once, and the recording row.
    expect(recording.device_frame_count).toBe(local.length);
    expect(recording.ended_at).not.toBeNull();
    const { rows: frames } = await hub.db.query(
      'SELECT frame_index, privacy_region_count FROM frame_analyses ORDER BY frame_index',
    );
    expect(frames.map((f) => f.frame_index)).toEqual(analyses.map((a) => a.frameIndex));
    const { rows: events } = await hub.db.query(
      // The device's learned mask layout travels as its own events, about the device, not the procedure.
      "SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM device_events WHERE type <> 'device.mask-layout'",
    );
    // Start, end, every frame, and the sealed recording: each exactly once.
    // Start, end, frames, and the segment's seal twice: when it closed at the file's end, and again
    // as final once the procedure had ended with it.
    expect(events[0]).toEqual({ n: local.length + 4, d: local.length + 4 });

    // S3: the object is there, and its SHA-256 is the local file's.
    const localFile = readFileSync(
      (edge.db.prepare('SELECT path FROM recordings').get() as { path: string }).path,
    );
    const head = await hub.store.client.send(
      new HeadObjectCommand({ Bucket: hub.store.bucket, Key: recording.object_key }),
    );
    expect(head.ContentLength).toBe(localFile.length);
    const object = await hub.store.client.send(
      new GetObjectCommand({ Bucket: hub.store.bucket, Key: recording.object_key }),
    );
    const bytes = await object.Body!.transformToByteArray();
    expect(sha256(bytes)).toBe(sha256(localFile));
    expect(recording.sha256_verified).toBe(sha256(localFile));

    // What left the box carries no readable patient text: the detector finds nothing in the recording.
    const downloaded = join(dir, 'downloaded.mp4');
    writeFileSync(downloaded, bytes);
    const { analyzer, size } = await loadFrameAnalyzer(modelsDir, ['pp-ocrv4-det'], log);
    // Control: the same check does find the text in the unmasked source clip.
    const source = await readFileFrames(samplePath, { ...size, fps: 1 }).next();
    expect((await analyzer.analyse(source.value!)).privacyRegions.length).toBeGreaterThan(0);
    let checked = 0;
    // ... and not because nothing shows: past the recorder's delay the picture is in the recording.
    const dark: number[] = [];
    for await (const frame of readFileFrames(downloaded, { ...size, fps: 2 })) {
      expect((await analyzer.analyse(frame)).privacyRegions).toEqual([]);
      checked++;
      if (frame.ptsMs >= 2500 && bandLuma(frame, 0, 1) <= 15) dark.push(frame.ptsMs);
    }
    await analyzer.close();
    expect(checked).toBeGreaterThanOrEqual(7);
    expect(dark, 'times (ms) at which the recording is black').toEqual([]);
    // And an oracle the masking does not use (Tesseract, as the frames are and upscaled 2x) reads none
    // of the identity in the uploaded recording; it does read it in the source clip.
    const identity = ['DOE', 'JANE', '1961', '00123456'];
    const sourceFrames = [];
    for await (const frame of readFileFrames(samplePath, { width: 1280, height: 720, fps: 0.5 }))
      sourceFrames.push({ ...frame, data: Buffer.from(frame.data) });
    expect(
      (await readIdentifiers(sourceFrames.slice(0, 2), identity, [], { stopAfter: 5 })).characters,
    ).toBeGreaterThan(4);
    const uploaded = [];
    for await (const frame of readFileFrames(downloaded, { width: 1280, height: 720, fps: 1 }))
      uploaded.push({ ...frame, data: Buffer.from(frame.data) });
    expect((await readIdentifiers(uploaded, identity)).hits).toEqual([]);

    // The in-room screen's feeds: the latest preview JPEG and the WebSocket push.
    const preview = await fetch(`${edge.httpUrl}/api/v1/realtime/preview.jpg`);
    expect(preview.headers.get('content-type')).toBe('image/jpeg');
    expect([...new Uint8Array(await preview.arrayBuffer()).subarray(0, 2)]).toEqual([0xff, 0xd8]);
    const pushed = await new Promise<{ type: string; procedure: { frames: number } }>((resolve, reject) => {
      const socket = new WebSocket(`${edge.httpUrl.replace('http', 'ws')}/api/v1/realtime/ws`);
      socket.once('message', (data) => {
        socket.close();
        resolve(JSON.parse(String(data)));
      });
      socket.once('error', reject);
    });
    expect(pushed).toMatchObject({ type: 'live', procedure: { frames: local.length } });

    // The API lists it as a user sees it.
    const res = await fetch(`${hub.httpUrl}/api/v1/procedures`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    const { items } = (await res.json()) as { items: Record<string, unknown>[] };
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ analysedFrames: local.length, findings: 0, syncState: 'available' });
    expect(items[0]!.durationSeconds).toBeGreaterThan(0);
  }, 240_000);
});

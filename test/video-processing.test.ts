import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, type Database } from '@gic/hub/db/database.js';
import { EMBEDDED_S3_CREDENTIALS_FILE } from '@gic/hub/embedded/embedded-s3-credentials.js';
import { ObjectStore } from '@gic/hub/storage/object-store.js';
import { readFileFrames } from '@gic/shared/media/file-frames.js';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import { installTinyPolypModel } from '@gic/shared/testing/tiny-polyp-model.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, HUB_API_POLL_MS, until } from './helpers.js';
import { kill, ready, spawnAsUser, type UserProcess } from './processes.js';
import { testHubEnv } from './test-database.js';

const PASSWORD = 'video-admin-password';
const modelsDir = join(import.meta.dirname, '..', 'models');

interface Status {
  runId: string | null;
  state: string;
  progress: number;
  etaSeconds: number | null;
  stage: string | null;
  stages: { name: string; state: string; progress: number; error: string | null }[];
}

describe('an uploaded video processed by the hub process: de-identified, analysed, summarised, exported', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-video-e2e-'));
  chmodSync(dir, 0o711);
  const clip = join(dir, 'clip.mp4');
  let env: Record<string, string>;
  let hub: UserProcess;
  let url: string;
  let token: string;
  let db: Database;
  let store: ObjectStore;

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
    });
  // Polled while the hub is busy: a reset connection (keep-alive closing under load) is asked again.
  const status = async (id: string): Promise<Status> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return (await (await api(`/api/v1/videos/${id}/status`)).json()) as Status;
      } catch (err) {
        if (attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  const start = async () => {
    hub = spawnAsUser('hub', env);
    await ready(hub.child, `${url}/health/ready`, 90_000);
  };

  beforeAll(async () => {
    await generateSampleVideo(clip, { seconds: 12 });
    // The edge's models, and the tiny generated polyp detector standing in for an operator's model.
    const models = join(dir, 'models');
    mkdirSync(models);
    for (const f of ['pp-ocrv4-det.json', 'pp-ocrv4-rec.json', 'blazeface-front.json'])
      cpSync(join(modelsDir, f), join(models, f));
    cpSync(join(modelsDir, 'blazeface-front'), join(models, 'blazeface-front'), { recursive: true });
    const polyp = installTinyPolypModel(models);
    const manifest = JSON.parse(readFileSync(join(models, `${polyp}.json`), 'utf8'));
    writeFileSync(
      join(models, `${polyp}.json`),
      JSON.stringify({ ...manifest, output: { ...manifest.output, threshold: 0.3 } }),
    );
    env = {
      ...(await testHubEnv(dir, PASSWORD)),
      GIC_HUB_MODELS_DIR: models,
      GIC_HUB_MODELS: `pp-ocrv4-det,pp-ocrv4-rec,blazeface-front,${polyp}`,
      GIC_BATCH_KEYFRAME_EVERY_S: '4',
      // A killed worker's job is taken as crashed after 20 s and retried (checked every second).
      GIC_JOB_TIMEOUT_S: '20',
      GIC_JOB_SUPERVISE_S: '1',
    };
    url = `http://127.0.0.1:${env.GIC_HUB_PORT}`;
    db = createDatabase(env.DATABASE_URL!, 2);
    await start();
    store = new ObjectStore({
      endpoint: `http://127.0.0.1:${env.GIC_EMBEDDED_S3_PORT}`,
      region: 'us-east-1',
      // The pair the hub made for its embedded S3 server, in its data directory.
      ...(JSON.parse(readFileSync(join(env.GIC_HUB_DATA_DIR!, EMBEDDED_S3_CREDENTIALS_FILE), 'utf8')) as {
        accessKeyId: string;
        secretAccessKey: string;
      }),
      bucket: 'gic-recordings',
      forcePathStyle: true,
    });
    token = await adminToken(url, PASSWORD);
  }, 180_000);
  afterAll(async () => {
    if (hub) await kill(hub.child, 'SIGTERM');
    store?.close();
    await db?.end();
  });

  it('survives a killed worker mid-run, and ends with a masked copy, summary, key frames and a verified export', async () => {
    const video = readFileSync(clip);
    const res = await api('/api/v1/videos/upload', {
      method: 'POST',
      body: video,
      headers: { 'content-type': 'video/mp4' },
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };

    // The live status stream sends the current status at once.
    const events = await api(`/api/v1/videos/${id}/events`);
    expect(events.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = events.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(/^event: status\ndata: \{"runId":"[0-9a-f-]{36}"/);
    await reader.cancel();

    // Kill the hub while a stage runs; the restarted hub retries the crashed job and finishes the run.
    const running = await until(
      'a stage to run',
      async () => {
        const s = await status(id);
        return s.state === 'active' && s.stage ? s : undefined;
      },
      60_000,
      HUB_API_POLL_MS,
    );
    expect(running.progress).toBeGreaterThanOrEqual(0);
    await kill(hub.child, 'SIGKILL');
    await start();
    const done = await until(
      'processing to finish',
      async () => {
        const s = await status(id);
        if (s.state === 'failed') throw new Error(`processing failed: ${JSON.stringify(s.stages)}`);
        return s.state === 'completed' ? s : undefined;
      },
      300_000,
      HUB_API_POLL_MS,
    );
    expect(done.progress).toBe(100);
    expect(done.stages.map((s) => [s.name, s.state])).toEqual([
      ['extract', 'completed'],
      ['analyse', 'completed'],
      ['summary', 'completed'],
      ['export', 'completed'],
    ]);
    const attempts = await db.query<{ attempts: number }>(
      'SELECT attempts FROM processing_stages WHERE run_id = $1 AND name = $2',
      [done.runId, running.stage],
    );
    expect(attempts.rows[0]!.attempts).toBeGreaterThanOrEqual(2);

    // The summary from the shared engine's analyses: the tiny detector's findings, quality, phases, notes.
    const summary = await (await api(`/api/v1/videos/${id}/summary`)).json();
    expect(summary.findings.length).toBeGreaterThan(0);
    expect(summary.quality.length).toBeGreaterThanOrEqual(12);
    expect(summary.phases.length).toBeGreaterThan(0);
    expect(summary.notes.source).toBe('data');

    const keyframes = (await (await api(`/api/v1/videos/${id}/keyframes`)).json()) as {
      tMs: number;
      url: string;
    }[];
    expect(keyframes.length).toBeGreaterThan(0);
    const jpeg = Buffer.from(await (await fetch(keyframes[0]!.url)).arrayBuffer());
    expect(jpeg.subarray(0, 2).toString('hex')).toBe('ffd8');

    // The raw upload is gone; the masked copy is the procedure's recording, with the patient's name burned out.
    const v = await db.query<{ raw_key: string; raw_deleted_at: Date | null; masked_key: string }>(
      'SELECT raw_key, raw_deleted_at, masked_key FROM videos WHERE procedure_id = $1',
      [id],
    );
    expect(v.rows[0]!.raw_deleted_at).not.toBeNull();
    expect(await store.size(v.rows[0]!.raw_key)).toBeUndefined();
    const masked = join(dir, 'masked.mp4');
    writeFileSync(masked, await store.readAll(v.rows[0]!.masked_key));
    // Encoded as browsers play it (and as the edge records): H.264 with 4:2:0 colour, not 4:4:4.
    const discovered = execFileSync('gst-discoverer-1.0', ['-v', masked], { encoding: 'utf8' });
    expect(discovered).toMatch(/video\/x-h264.*chroma-format=\(string\)4:2:0/);
    expect(discovered).not.toMatch(/4:4:4/);
    let frames = 0;
    for await (const f of readFileFrames(masked, { width: 1280, height: 720, fps: 1 })) {
      // The sample's name and date of birth sit at the top left (font 28 px, padded by as much).
      let sum = 0;
      let n = 0;
      for (let y = 28; y < 56; y++) {
        for (let x = 28; x < 600; x++) {
          sum += f.data[y * f.stride + x * 3]!;
          n++;
        }
      }
      expect(sum / n).toBeLessThan(8);
      // ...while the picture itself is kept (the scene is red: the red channel in the middle).
      let centre = 0;
      for (let x = 540; x < 740; x++) centre += f.data[360 * f.stride + x * 3]!;
      if (f.index >= 3) expect(centre / 200).toBeGreaterThan(60);
      frames++;
    }
    expect(frames).toBeGreaterThanOrEqual(11);

    // The export: a ZIP whose manifest's SHA-256s match its files, with no patient data in it.
    const exp = (await (await api(`/api/v1/videos/${id}/export`)).json()) as {
      state: string;
      url: string;
      sha256: string;
    };
    expect(exp.state).toBe('ready');
    const zipPath = join(dir, 'export.zip');
    writeFileSync(zipPath, Buffer.from(await (await fetch(exp.url)).arrayBuffer()));
    const checked = JSON.parse(
      execFileSync('python3', [
        '-c',
        [
          'import sys, zipfile, hashlib, json',
          'z = zipfile.ZipFile(sys.argv[1])',
          'assert z.testzip() is None',
          'm = json.loads(z.read("manifest.json"))',
          'bad = [f["path"] for f in m["files"] if hashlib.sha256(z.read(f["path"])).hexdigest() != f["sha256"]]',
          'text = b"".join(z.read(n) for n in z.namelist() if not n.endswith((".mp4", ".jpg")))',
          'print(json.dumps({"names": z.namelist(), "bad": bad, "doe": b"DOE" in text, "id": sys.argv[2].encode() in text}))',
        ].join('\n'),
        zipPath,
        id,
      ]).toString(),
    ) as { names: string[]; bad: string[]; doe: boolean; id: boolean };
    expect(checked.bad).toEqual([]);
    expect(checked.doe).toBe(false);
    expect(checked.id).toBe(false);
    for (const name of [
      'video/procedure.mp4',
      'analyses/frames.json',
      'analyses/frames.csv',
      'events/alerts.json',
      'events/landmarks.json',
      'summary/summary.md',
      'summary/summary.html',
      'chat/transcript.md',
      'metadata.json',
      'manifest.json',
    ]) {
      expect(checked.names).toContain(name);
    }
    expect(checked.names.some((n) => n.startsWith('keyframes/'))).toBe(true);
  }, 480_000);
});

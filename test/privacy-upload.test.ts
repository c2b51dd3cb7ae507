/**
 * De-identification of uploads on tower-style footage, judged as a reviewer meets it: a tower clip
 * (a 4:3 picture in black borders at 1920x1080, banners in two fonts, one that blinks) is uploaded to
 * the hub process through its API, and the de-identified copy is fetched through the playback URL the
 * procedure page plays. Tesseract, which the masking does not use, must read none of the made-up
 * identifiers in it, while it reads them in the upload itself; and the picture must stay visible.
 */
import { cpSync, createReadStream, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { readIdentifiers } from '@gic/shared/testing/ocr-oracle.js';
import { privacyClips } from '@gic/shared/testing/privacy-clips.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, until } from './helpers.js';
import { clipFile, middleLuma, modelsDir, recordingFrames, workDir } from './privacy-run.js';
import { kill, ready, spawnAsUser, type UserProcess } from './processes.js';
import { testHubEnv } from './test-database.js';

const PASSWORD = 'privacy-upload-password';
// The 4:3 round picture at 1920x1080 whose banner blinks: a size the hub scales for analysis, and
// text that comes and goes between sampled frames. (The edge's OCR tests cover the other clips; one
// here keeps npm test's time down: read at 1080p, each frame is four Tesseract passes.)
const clips = privacyClips(6).filter((c) => c.options.width === 1920 && !c.textInPicture);
if (clips.length !== 1) throw new Error(`expected the one 1920x1080 tower clip, found ${clips.length}`);

describe('an uploaded tower video leaves the hub with nothing readable, the picture kept', () => {
  const dir = workDir('privacy-upload');
  let hub: UserProcess;
  let url: string;
  let token: string;
  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };

  beforeAll(async () => {
    const models = join(dir, 'models');
    mkdirSync(models);
    for (const f of ['pp-ocrv4-det.json', 'pp-ocrv4-rec.json', 'blazeface-front.json'])
      cpSync(join(modelsDir, f), join(models, f));
    cpSync(join(modelsDir, 'blazeface-front'), join(models, 'blazeface-front'), { recursive: true });
    const env: Record<string, string> = {
      ...(await testHubEnv(dir, PASSWORD)),
      GIC_HUB_MODELS_DIR: models,
      GIC_HUB_MODELS: 'pp-ocrv4-det,pp-ocrv4-rec,blazeface-front',
    };
    url = `http://127.0.0.1:${env.GIC_HUB_PORT}`;
    hub = spawnAsUser('hub', env);
    await ready(hub.child, `${url}/health/ready`, 90_000);
    token = await adminToken(url, PASSWORD);
  }, 180_000);
  afterAll(async () => {
    if (hub) await kill(hub.child, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(clips.map((clip) => [clip.name, clip] as const))(
    '%s',
    async (_name, clip) => {
      const path = await clipFile(clip);
      // Control: the oracle reads the identifiers in the upload as it was sent.
      const raw = await recordingFrames(path, 1, clip.watch, 6, clip.options);
      expect(
        (await readIdentifiers(raw.slice(1), clip.identifiers, clip.patterns, { stopAfter: 11 })).characters,
      ).toBeGreaterThan(10);

      const { id } = (await api('/api/v1/videos/upload', {
        method: 'POST',
        body: Readable.toWeb(createReadStream(path)) as ReadableStream,
        duplex: 'half',
        headers: { 'content-type': 'video/mp4', 'content-length': String(statSync(path).size) },
      } as RequestInit)) as { id: string };
      const done = await until(
        'processing of the upload',
        async () => {
          const s = (await api(`/api/v1/videos/${id}/status`)) as { state: string; stages: unknown };
          if (s.state === 'failed' || s.state === 'cancelled') throw new Error(JSON.stringify(s.stages));
          return s.state === 'completed' ? s : undefined;
        },
        300_000,
        1000,
      );
      expect(done.state).toBe('completed');

      // What the procedure page plays: one segment, the de-identified copy, by its presigned URL.
      const playback = (await api(`/api/v1/procedures/${id}/playback`)) as { segments: { url: string }[] };
      expect(playback.segments).toHaveLength(1);
      const copy = join(dir, `${id}.mp4`);
      writeFileSync(copy, Buffer.from(await (await fetch(playback.segments[0]!.url)).arrayBuffer()));
      expect(readFileSync(copy).subarray(4, 8).toString()).toBe('ftyp');

      // Read at the clip's own size, where small print reads best: a frame a second, and three a
      // second while the banner blinks.
      const masked = await recordingFrames(copy, 1, clip.watch, 3, clip.options);
      const oracle = await readIdentifiers(masked, clip.identifiers, clip.patterns);
      console.info(
        `${clip.name}: ${oracle.characters} identifier characters read in ${oracle.framesRead} frames of the copy`,
        oracle.hits,
      );
      expect(oracle.framesRead).toBeGreaterThanOrEqual(8);
      expect(oracle.hits).toEqual([]);
      // The picture stays visible (the scene is inside the body from the first frame).
      const late = masked.filter((f) => f.ptsMs >= 1000);
      expect(late.length).toBeGreaterThanOrEqual(5);
      for (const f of late) expect(middleLuma(f), `at ${f.ptsMs} ms`).toBeGreaterThan(35);
    },
    400_000,
  );
});

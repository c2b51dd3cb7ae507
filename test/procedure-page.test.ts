/**
 * The review portal's procedure page, end to end: an edge replays the sample clip with the tiny
 * polyp model (so its procedure has findings), the procedure syncs to a hub (analyses over MQTT, the
 * recording uploaded and verified), and then: the list's filters and paging, the timeline and
 * playback endpoints, and in headless Chromium a reviewer signs in, opens the procedure from the
 * list, plays the video (straight from the object store) and clicks a finding, which seeks it, then
 * exports the procedure and downloads the bundle, checked file by file against its manifest.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadEdgeConfig } from '@gic/edge/config.js';
import { type RunningEdge, startEdge } from '@gic/edge/edge-process.js';
import { loadHubConfig } from '@gic/hub/config.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import type {
  Playback,
  ProcedurePage,
  ProcedureSummary,
  Timeline,
} from '@gic/hub/procedures/procedure-view-types.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import { installTinyPolypModel } from '@gic/shared/testing/tiny-polyp-model.js';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, enrolmentToken, HUB_API_POLL_MS, until } from './helpers.js';
import { freePort } from './ports.js';
import { modelsDir, workDir } from './privacy-run.js';
import { testHubEnv } from './test-database.js';

const log = createLogger('procedure-page', 'warn');
const ADMIN_PASSWORD = 'procedure-page-admin';
const ROOM = 'endoscopy-room-7';
/** Lists a ZIP with Python's zipfile: the first bad member (CRC), each member's size and SHA-256, the manifest. */
const ZIP_LISTING = `
import hashlib, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    files = {i.filename: {'bytes': i.file_size, 'sha256': hashlib.sha256(z.read(i)).hexdigest()} for i in z.infolist()}
    print(json.dumps({'bad': z.testzip(), 'files': files, 'manifest': z.read('manifest.json').decode()}))
`;

describe('the procedure page: a synced procedure reviewed in the browser', () => {
  const dir = workDir('procedure-page');
  let hub: RunningHub;
  let edge: RunningEdge;
  let browser: Browser;
  let token: string;
  let procedureId: string;
  let deviceId: string;

  const get = async <T>(path: string) => {
    const res = await fetch(`${hub.httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as T };
  };

  beforeAll(async () => {
    const samplePath = join(dir, 'sample.mp4');
    // The tiny generated "polyp" model (it scores redness), sensitive enough to fire on the clip.
    const models = join(dir, 'models');
    mkdirSync(models, { recursive: true });
    writeFileSync(join(models, 'pp-ocrv4-det.json'), readFileSync(join(modelsDir, 'pp-ocrv4-det.json')));
    const polyp = installTinyPolypModel(models);
    const manifestPath = join(models, `${polyp}.json`);
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    writeFileSync(
      manifestPath,
      JSON.stringify({ ...manifest, output: { ...manifest.output, threshold: 0.3 } }),
    );
    const [launched, started] = await Promise.all([
      chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      }),
      (async () => startHub(loadHubConfig(await testHubEnv(dir, ADMIN_PASSWORD)), log))(),
      generateSampleVideo(samplePath, { seconds: 6 }),
    ]);
    browser = launched;
    hub = started;
    token = await adminToken(hub.httpUrl, ADMIN_PASSWORD);
    edge = await startEdge(
      loadEdgeConfig({
        GIC_EDGE_DATA_DIR: join(dir, 'edge'),
        GIC_EDGE_PORT: String(await freePort()),
        GIC_EDGE_NAME: ROOM,
        GIC_HUB_URL: hub.httpUrl,
        GIC_ENROLMENT_TOKEN: await enrolmentToken(hub.httpUrl, ADMIN_PASSWORD),
        GIC_SOURCE: `file:${samplePath}`,
        GIC_REPLAY_REALTIME: 'false',
        GIC_MODELS_DIR: models,
        GIC_MODELS: `pp-ocrv4-det,${polyp}`,
        GIC_ALERT_SENSITIVITY: '0.3',
        GIC_ANALYSIS_FPS: '4',
        GIC_ANALYSIS_MIN_FPS: '4',
        GIC_PROCEDURE_AUTO_START_S: '1',
        GIC_LOG_LEVEL: 'warn',
      }),
      log,
    );
    await edge.sourceEnded;
    deviceId = (await edge.enrolled).deviceId;
    // Analyses over MQTT, then the recording uploaded and verified.
    const synced = await until(
      'the procedure available at the hub',
      async () => {
        const { body } = await get<ProcedurePage>('/api/v1/procedures');
        return body.items.find((p) => p.syncState === 'available');
      },
      90_000,
      HUB_API_POLL_MS,
    );
    procedureId = synced.id;
  }, 180_000);

  afterAll(async () => {
    await edge?.stop();
    await hub?.stop();
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists procedures by filters and pages, and refuses a malformed query with the reason', async () => {
    const list = async (query: string) => (await get<ProcedurePage>(`/api/v1/procedures?${query}`)).body;
    const all = await list('');
    expect(all.total).toBeGreaterThanOrEqual(1);
    const ids = (page: ProcedurePage) => page.items.map((p) => p.id);
    expect(ids(await list(`device=${deviceId}`))).toContain(procedureId);
    expect((await list('device=edge-000000000000')).total).toBe(0);
    expect(ids(await list('room=ROOM-7'))).toContain(procedureId); // part of the name, any case
    expect((await list('room=100%25')).total).toBe(0); // % is a character, not a wildcard
    expect(ids(await list('status=available&hasFindings=true'))).toContain(procedureId);
    expect(ids(await list('status=live'))).not.toContain(procedureId);
    expect(ids(await list('hasFindings=false'))).not.toContain(procedureId);
    const today = new Date().toISOString().slice(0, 10);
    expect(ids(await list(`from=${today}&to=${today}`))).toContain(procedureId);
    expect((await list('to=2000-01-01')).total).toBe(0);
    expect(ids(await list('q=SAMPLE.mp4'))).toContain(procedureId); // the source's name, any case
    expect((await list('q=no-such-words-anywhere')).total).toBe(0);

    // Paging by cursor: one at a time, each procedure once, then no more.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: ProcedurePage = await list(`limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(1);
      expect(page.total).toBe(all.total);
      seen.push(...ids(page));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids(all));

    for (const [query, problem] of [
      ['limit=0', 'limit'],
      ['status=lost', 'status'],
      ['from=yesterday', 'from'],
      ['from=2026-02-02&to=2026-01-01', 'from must be before to'],
      ['cursor=bm90LWEtY3Vyc29y', 'cursor is not one this hub gave out'],
      ['colour=red', 'colour'],
    ]) {
      const { status, body } = await get<{ error: string }>(`/api/v1/procedures?${query}`);
      expect(status, query).toBe(400);
      expect(body.error, query).toContain(problem);
    }
  });

  it('gives the procedure, its timeline and its playback (presigned, range requests from the store)', async () => {
    const procedure = await get<ProcedureSummary>(`/api/v1/procedures/${procedureId}`);
    expect(procedure.status).toBe(200);
    expect(procedure.body).toMatchObject({ id: procedureId, deviceName: ROOM, syncState: 'available' });
    expect((await get(`/api/v1/procedures/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`)).status).toBe(
      404,
    );
    expect((await get('/api/v1/procedures/not-a-uuid/timeline')).status).toBe(400);

    const { body: timeline } = await get<Timeline>(`/api/v1/procedures/${procedureId}/timeline`);
    expect(timeline.quality).toHaveLength(procedure.body.analysedFrames);
    expect(timeline.durationMs).toBeGreaterThan(2_000); // the procedure covers seconds of the 6 s clip
    expect(timeline.durationMs).toBeLessThan(8_000);
    expect(timeline.inBody.length).toBeGreaterThanOrEqual(1);
    expect(timeline.findings.length).toBeGreaterThanOrEqual(1);
    for (const f of timeline.findings) {
      expect(f.tMs).toBeGreaterThanOrEqual(f.startMs);
      expect(f.tMs).toBeLessThanOrEqual(timeline.durationMs);
      expect(f.label).toBe('polyp');
    }
    expect(timeline.alerts.length).toBeGreaterThanOrEqual(1);

    const { body: playback } = await get<Playback>(`/api/v1/procedures/${procedureId}/playback`);
    expect(playback.missing).toEqual([]);
    expect(playback.segments).toHaveLength(1);
    const [segment] = playback.segments;
    // The object store answers the browser itself, with the ranges a seek asks for.
    expect(new URL(segment!.url).origin).not.toBe(new URL(hub.httpUrl).origin);
    const ranged = await fetch(segment!.url, { headers: { range: 'bytes=0-99' } });
    expect(ranged.status).toBe(206);
    expect((await ranged.arrayBuffer()).byteLength).toBe(100);
    const whole = await fetch(segment!.url);
    expect(Number(whole.headers.get('content-length'))).toBe(segment!.sizeBytes);
    await whole.body?.cancel();
  });

  it('in Chromium: signs in, opens the procedure from the list, plays it, a click on a finding seeks the video, and the export downloads whole', async () => {
    const { body: timeline } = await get<Timeline>(`/api/v1/procedures/${procedureId}/timeline`);
    // A question asked in the room (the box's chat, no model installed), synced to the hub with its answer.
    const asked = await fetch(`${edge.httpUrl}/api/v1/chat/message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'How many polyps so far?', by: 'dr.room' }),
    });
    expect(asked.status).toBe(201);
    await until(
      "the room's conversation at the hub",
      async () => {
        const { body } = await get<{ room: unknown[] }>(`/api/v1/chat/procedures/${procedureId}`);
        return body.room.length === 2 || undefined;
      },
      15_000,
      HUB_API_POLL_MS,
    );
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    try {
      const page = await context.newPage();
      await page.goto(`${hub.httpUrl}/`);
      await page.fill('input[name=password]', ADMIN_PASSWORD);
      await page.click('#login button[type=submit]');
      const row = page.locator(`#rows tr[data-procedure-id="${procedureId}"]`);
      await row.waitFor({ timeout: 10_000 });
      // Filters narrow the list: a room that is not this one, then this one.
      await page.fill('#filters input[name=room]', 'another-room');
      await page.click('#apply-filters');
      await expect.poll(() => row.count(), { timeout: 5_000 }).toBe(0);
      await page.fill('#filters input[name=room]', ROOM);
      await page.click('#apply-filters');
      await row.waitFor({ timeout: 5_000 });
      expect(await page.textContent('#page-info')).toBe('1-1 of 1');
      await page.screenshot({
        path: join(import.meta.dirname, 'artifacts', 'procedure-list.png'),
        fullPage: true,
      });
      await row.locator('a').click();
      await page.waitForSelector(`#procedure[data-procedure-id="${procedureId}"]`, { timeout: 10_000 });

      // The video: the segment's presigned URL, its length read from the file.
      await page.waitForFunction(
        () => {
          const v = document.getElementById('player') as HTMLVideoElement | null;
          return Boolean(v && v.readyState >= 1 && Number.isFinite(v.duration) && v.duration > 0);
        },
        undefined,
        { timeout: 15_000 },
      );
      const duration = await page.$eval('#player', (v) => (v as HTMLVideoElement).duration);
      expect(duration).toBeGreaterThan(2);
      expect(duration).toBeLessThan(8);
      // Play (muted: a page may start no sound without a gesture), and see the time advance.
      await page.$eval('#player', (v) => {
        const video = v as HTMLVideoElement;
        video.muted = true;
        return video.play();
      });
      await page.waitForFunction(
        () => (document.getElementById('player') as HTMLVideoElement).currentTime > 0.2,
        undefined,
        { timeout: 10_000 },
      );
      await page.$eval('#player', (v) => (v as HTMLVideoElement).pause());

      // Seek away from the finding first, so that the click must move the video.
      const finding = timeline.findings[timeline.findings.length - 1]!;
      const offsetMs = Number(await page.getAttribute('#procedure', 'data-offset-ms'));
      expect(offsetMs).toBe(Math.max(0, Math.round(duration * 1000 - timeline.durationMs)));
      const expected = (finding.tMs + offsetMs) / 1000;
      const away = expected > duration / 2 ? 0 : duration - 0.1;
      await page.$eval('#player', (v, t) => ((v as HTMLVideoElement).currentTime = t), away);
      const before = await page.$eval('#player', (v) => (v as HTMLVideoElement).currentTime);
      expect(Math.abs(before - expected)).toBeGreaterThan(0.5);
      await page.screenshot({
        path: join(import.meta.dirname, 'artifacts', 'procedure-page.png'),
        fullPage: true,
      });

      await page.click(`#finding-list button[data-t-ms="${Math.round(finding.tMs)}"]`);
      await expect
        .poll(() => page.$eval('#player', (v) => (v as HTMLVideoElement).currentTime), { timeout: 5_000 })
        .toBeCloseTo(expected, 1);
      // A mark on the timeline track seeks too.
      const first = timeline.findings[0]!;
      await page.click(`.track[data-track=findings] button[data-t-ms="${Math.round(first.tMs)}"]`);
      await expect
        .poll(() => page.$eval('#player', (v) => (v as HTMLVideoElement).currentTime), { timeout: 5_000 })
        .toBeCloseTo((first.tMs + offsetMs) / 1000, 1);

      // The chat: the notice, the room's conversation beside the review chat, and cited times that seek.
      expect(await page.textContent('#chat-notice')).toContain('not a diagnosis');
      await page.waitForSelector('#room-chat li.chat-assistant[data-source="timeline"] .citation', {
        timeout: 5_000,
      });
      await page.fill('#chat-input', 'How many polyps were there?');
      await page.click('#chat-form button[type=submit]');
      const answer = page.locator('#review-chat li.chat-assistant[data-source="timeline"]');
      await answer.waitFor({ timeout: 10_000 });
      expect(await answer.textContent()).toMatch(/polyp/);
      const cited = answer.locator('.citation').first();
      const citedMs = Number(await cited.getAttribute('data-t-ms'));
      const citedAt = (citedMs + offsetMs) / 1000;
      await page.$eval(
        '#player',
        (v, t) => ((v as HTMLVideoElement).currentTime = t),
        citedAt > duration / 2 ? 0 : duration - 0.1,
      );
      await cited.click();
      await expect
        .poll(() => page.$eval('#player', (v) => (v as HTMLVideoElement).currentTime), { timeout: 5_000 })
        .toBeCloseTo(citedAt, 1);
      await page.fill('#chat-input', 'Is this an adenoma?');
      await page.click('#chat-form button[type=submit]');
      await page.waitForSelector('#review-chat li.chat-assistant[data-source="unavailable"]', {
        timeout: 10_000,
      });
      expect(await page.textContent('#review-chat li.chat-assistant[data-source="unavailable"]')).toContain(
        'none is installed here',
      );
      await page.screenshot({
        path: join(import.meta.dirname, 'artifacts', 'procedure-chat.png'),
        fullPage: true,
      });

      // Not processed yet: no summary, processing not run, no export, each said plainly.
      await expect.poll(() => page.textContent('#summary'), { timeout: 5_000 }).toContain('No summary yet');
      await expect.poll(() => page.textContent('#processing'), { timeout: 5_000 }).toContain('none');
      await expect.poll(() => page.textContent('#export-state'), { timeout: 5_000 }).not.toBe('');
      expect(await page.textContent('#export')).not.toContain('answers 404');

      // Export: the button queues the bundle, its state shows it built, and Download fetches the ZIP
      // straight from the object store through a short-lived presigned URL.
      await expect
        .poll(() => page.textContent('#export-state'), { timeout: 5_000 })
        .toBe('Not exported yet.');
      await page.click('#export-button');
      await expect
        .poll(() => page.textContent('#export-state'), { timeout: 20_000 })
        .toMatch(/^Ready: [\d.]+ MB, SHA-256 [0-9a-f]{12}/);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
      const url = new URL(download.url());
      expect(url.origin).not.toBe(new URL(hub.httpUrl).origin);
      expect(Number(url.searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(300);
      expect(download.suggestedFilename()).toMatch(/^gic-export-[0-9a-f]{8}\.zip$/);
      const zipPath = join(dir, 'export.zip');
      await download.saveAs(zipPath);
      const zipBytes = readFileSync(zipPath);
      const shown = (await page.textContent('#export-state'))!.match(/SHA-256 ([0-9a-f]{12})/)![1];
      expect(createHash('sha256').update(zipBytes).digest('hex').startsWith(shown!)).toBe(true);
      // Opened by a reader we did not write (Python's zipfile): every member's CRC checks, and the
      // manifest names every other file with its size and SHA-256.
      const members = JSON.parse(
        execFileSync('python3', ['-c', ZIP_LISTING, zipPath], { encoding: 'utf8' }),
      ) as { bad: string | null; files: Record<string, { bytes: number; sha256: string }>; manifest: string };
      expect(members.bad).toBeNull();
      const manifest = JSON.parse(members.manifest) as {
        algorithm: string;
        files: { path: string; bytes: number; sha256: string }[];
      };
      expect(manifest.algorithm).toBe('sha256');
      expect(manifest.files.map((f) => f.path).sort()).toEqual(
        Object.keys(members.files)
          .filter((name) => name !== 'manifest.json')
          .sort(),
      );
      for (const f of manifest.files)
        expect(members.files[f.path], f.path).toEqual({ bytes: f.bytes, sha256: f.sha256 });
      expect(members.files['video/procedure.mp4']?.bytes).toBe(
        (await get<Playback>(`/api/v1/procedures/${procedureId}/playback`)).body.segments[0]!.sizeBytes,
      );

      // The jobs page (admins): every queue with its counts and state.
      await page.click('header a[href="#/jobs"]');
      await page.waitForSelector('#jobs tr[data-queue="video-export"]', { timeout: 5_000 });
      expect(await page.textContent('#jobs tr[data-queue="video-export"]')).toContain('running');
    } finally {
      await context.close();
    }
  }, 90_000);
});

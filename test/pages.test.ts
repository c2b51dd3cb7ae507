import { randomUUID } from 'node:crypto';
/**
 * Browser tests of the two web pages: the hub's review portal and the edge's in-room screen, driven
 * in headless Chromium (Debian's, never a downloaded one) against a hub and an edge started
 * in-process on embedded PostgreSQL/S3/MQTT. Screenshots go to test/artifacts/ for a person to see.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEdgeConfig } from '@gic/edge/config.js';
import { type RunningEdge, startEdge } from '@gic/edge/edge-process.js';
import { loadHubConfig } from '@gic/hub/config.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { generateSampleVideo, SAMPLE_OSD_MASKS } from '@gic/shared/media/sample-video.js';
import { installTinyPolypModel } from '@gic/shared/testing/tiny-polyp-model.js';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, enrolmentToken as issueEnrolmentToken } from './helpers.js';
import { freePort } from './ports.js';

const log = createLogger('pages', 'warn');
const root = join(import.meta.dirname, '..');
const modelsDir = join(root, 'models');
const artifactsDir = join(import.meta.dirname, 'artifacts');
const ADMIN_PASSWORD = 'pages-admin-password';
const DEVICE_NAME = 'pages-test-room-1';

const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** The text of an element, trimmed ('' when it has none). */
const text = async (page: Page, selector: string) => ((await page.textContent(selector)) ?? '').trim();

describe('the web pages in a browser', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-pages-'));
  chmodSync(dir, 0o711); // embedded PostgreSQL runs as user postgres when tests run as root
  const samplePath = join(dir, 'sample.mp4');
  let hub: RunningHub;
  let edge: RunningEdge;
  let browser: Browser;
  let accessToken: string;

  const enrolmentToken = () => issueEnrolmentToken(hub.httpUrl, ADMIN_PASSWORD);

  /** The edge's one procedure, as its local store has it. */
  const edgeProcedure = () =>
    edge.db.prepare('SELECT id, frame_count, ended_at FROM procedures').get() as {
      id: string;
      frame_count: number;
      ended_at: string | null;
    };

  beforeAll(async () => {
    mkdirSync(artifactsDir, { recursive: true });
    const [http, mqtt, pg, s3, edgePort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const [launched, started] = await Promise.all([
      chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs }),
      startHub(
        loadHubConfig({
          GIC_HUB_DATA_DIR: join(dir, 'hub'),
          GIC_HUB_PORT: String(http),
          GIC_MQTT_PORT: String(mqtt),
          GIC_EMBEDDED_PG_PORT: String(pg),
          GIC_EMBEDDED_S3_PORT: String(s3),
          GIC_ADMIN_PASSWORD: ADMIN_PASSWORD,
        }),
        log,
      ),
      generateSampleVideo(samplePath, { seconds: 10 }),
    ]);
    browser = launched;
    hub = started;
    accessToken = await adminToken(hub.httpUrl, ADMIN_PASSWORD);
    // Last: the clip plays in real time from here, and the in-room test must see it live.
    edge = await startEdge(
      loadEdgeConfig({
        GIC_EDGE_DATA_DIR: join(dir, 'edge'),
        GIC_EDGE_PORT: String(edgePort),
        GIC_EDGE_NAME: DEVICE_NAME,
        GIC_HUB_URL: hub.httpUrl,
        GIC_ENROLMENT_TOKEN: await enrolmentToken(),
        GIC_SOURCE: `file:${samplePath}`,
        GIC_REPLAY_REALTIME: 'true',
        GIC_PRIVACY_MASKS: JSON.stringify(SAMPLE_OSD_MASKS),
        GIC_MODELS_DIR: modelsDir,
        // A fixed 3 fps, so the counts below do not depend on how much the clip moves.
        GIC_ANALYSIS_FPS: '3',
        GIC_ANALYSIS_MIN_FPS: '3',
        GIC_LOG_LEVEL: 'warn',
      }),
      log,
    );
  }, 60_000);

  afterAll(async () => {
    await edge?.stop();
    await hub?.stop();
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // First, while the 10 s clip is still playing.
  it('in-room page: shows live analysis, loaded models, masked text and hub sync, no banner', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const page = await context.newPage();
      await page.goto(edge.httpUrl);
      expect(await page.title()).toBe('GI Copilot - In-room');

      // Frames counted while the source is live (not only once it has ended).
      await page.waitForFunction(
        () => {
          const frames = Number(document.getElementById('frames')?.textContent);
          return frames > 0 && /\(live\)$/.test(document.getElementById('source')?.textContent ?? '');
        },
        undefined,
        { timeout: 10_000, polling: 100 },
      );
      expect(await text(page, '#source')).toBe('file: sample.mp4 (live)');

      const models = await text(page, '#models');
      expect(models).toContain('pp-ocrv4-det');
      expect(models).toBe('pp-ocrv4-det 4.0.0 [cpu], pp-ocrv4-rec 4.0.0 [cpu], blazeface-front 1.2.0 [cpu]');
      // The burned-in identity band is found in the clip and drawn as masked.
      const privacy = await text(page, '#privacy');
      expect(privacy).toMatch(/^\d+ region\(s\)$/);
      expect(Number.parseInt(privacy, 10)).toBeGreaterThanOrEqual(1);
      expect(await text(page, '#quality')).toMatch(/^(sharp|blurred), exposure (ok|under|over)$/);
      expect(await text(page, '#findings')).toBe('0');

      // Enrolment and the MQTT session come up in the background.
      await page.waitForFunction(
        () => document.getElementById('sync')?.textContent?.startsWith('connected, '),
        undefined,
        { timeout: 15_000 },
      );
      expect(await text(page, '#sync')).toMatch(/^connected, \d+ pending/);
      expect(await page.getAttribute('#sync', 'class')).toBe('ok');

      // Every model loaded: no banner, and its text is empty.
      expect(await page.getAttribute('#banner', 'class')).not.toContain('show');
      expect(await text(page, '#banner')).toBe('');
      expect(await page.isVisible('#banner')).toBe(false);

      // The procedure starts by itself once the scope has been in the body for 3 s; what the page
      // counts for it is what the edge stored.
      await page.waitForFunction(
        () => Number(document.getElementById('procedure-frames')?.textContent) > 0,
        undefined,
        { timeout: 10_000, polling: 100 },
      );
      expect(await text(page, '#procedure-state')).toBe('(started by itself)');
      expect(await text(page, '#timer')).toMatch(/^\d\d:\d\d$/);
      const shown = Number(await text(page, '#procedure-frames'));
      expect(shown).toBeLessThanOrEqual(edgeProcedure().frame_count);
      expect(Number(await text(page, '#frames'))).toBeGreaterThanOrEqual(shown);

      await page.screenshot({ path: join(artifactsDir, 'in-room.png'), fullPage: true });
    } finally {
      await context.close();
    }
  }, 30_000);

  it('hub portal: refuses a wrong password, then lists the procedure until its recording is available', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const page = await context.newPage();
      await page.goto(`${hub.httpUrl}/`);
      expect(await page.title()).toBe('GI Copilot - Procedures');
      await page.waitForSelector('#login', { state: 'visible', timeout: 5_000 });
      expect(await page.isVisible('#list')).toBe(false);
      expect(await page.inputValue('input[name=username]')).toBe('admin');

      // Wrong password: an error, and still no table.
      await page.fill('input[name=password]', 'not-the-password');
      await page.click('button[type=submit]');
      await page.waitForFunction(
        () => (document.getElementById('error')?.textContent ?? '') !== '',
        undefined,
        {
          timeout: 5_000,
        },
      );
      expect(await text(page, '#error')).toBe('Sign-in failed: invalid username or password');
      expect(await page.isVisible('#login')).toBe(true);
      expect(await page.isVisible('#list')).toBe(false);
      expect(await page.isVisible('table')).toBe(false);
      expect(await page.locator('#rows tr').count()).toBe(0);
      await page.screenshot({ path: join(artifactsDir, 'portal-sign-in-failed.png'), fullPage: true });

      // Right password: the table, with the edge's procedure in it.
      await page.fill('input[name=password]', ADMIN_PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForSelector('#list', { state: 'visible', timeout: 5_000 });
      expect(await page.getAttribute('#login', 'hidden')).toBe('');
      expect(await page.isVisible('#login')).toBe(false);
      expect(await text(page, '#error')).toBe('');

      // The procedure starts by itself 3 s into the clip.
      await expect.poll(() => edgeProcedure(), { timeout: 10_000, interval: 100 }).toBeTruthy();
      const { id: procedureId } = edgeProcedure();
      const row = page.locator(`#rows tr[data-procedure-id="${procedureId}"]`);
      const cells = row.locator('td');
      // The procedure reaches the hub over MQTT; the page refreshes every 3 s.
      await expect.poll(() => row.count(), { timeout: 15_000, interval: 250 }).toBe(1);
      const { deviceId } = await edge.enrolled;
      expect(await cells.nth(1).textContent()).toBe(`${DEVICE_NAME} (${deviceId})`);
      await expect
        .poll(async () => Number(await cells.nth(3).textContent()), { timeout: 15_000, interval: 250 })
        .toBeGreaterThan(0);

      // The recording is uploaded once the clip ends, then verified by the hub.
      const state = row.locator('.state');
      await expect.poll(() => state.textContent(), { timeout: 40_000, interval: 500 }).toBe('available');
      expect(await state.getAttribute('class')).toBe('state available');
      // By then every analysis has arrived: the count is the edge's own.
      const local = edgeProcedure();
      expect(local.ended_at).not.toBeNull();
      expect(Number(await cells.nth(3).textContent())).toBe(local.frame_count);
      // 10 s at 3 fps is about 30; a busy CPU analyses fewer (the rest are dropped as stale).
      expect(local.frame_count).toBeGreaterThanOrEqual(3);
      expect(await cells.nth(2).textContent()).toMatch(/^\d+\.\d s$/);
      expect(Number(await cells.nth(5).textContent())).toBeGreaterThan(0); // text masked
      expect(await cells.nth(6).textContent()).toBe('-'); // no cecum marked in this procedure
      expect(await cells.nth(7).textContent()).toBe('auto'); // started by itself, nobody signed in
      expect(await cells.nth(8).textContent()).toMatch(/^1\/1 segment\(s\) verified, \d+\.\d MB$/);
      expect(await text(page, '#updated')).toMatch(/^Updated /);

      await page.screenshot({ path: join(artifactsDir, 'portal.png'), fullPage: true });
    } finally {
      await context.close();
    }
  }, 70_000);

  // After the portal test: by now the clip has ended and its recording is at the hub.
  it('in-room page: once the clip has ended, keeps its last frame with "source ended" and what was recorded, and offers no start', async () => {
    expect((await edge.sourceEnded).kind).toBe('eos');
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const page = await context.newPage();
      await page.goto(edge.httpUrl);
      await page.waitForSelector('#ended', { state: 'visible', timeout: 15_000 });
      expect(await text(page, '#source')).toBe('file: sample.mp4 (ended)');
      expect(await text(page, '#ended strong')).toBe('SOURCE ENDED');
      expect(await text(page, '#ended-what')).toMatch(
        /^file sample\.mp4 has ended: nothing more is analysed or recorded\. \d+ frames analysed\.$/,
      );
      await page.waitForFunction(
        () => /verified at the hub\.$/.test(document.getElementById('ended-recorded')?.textContent ?? ''),
        undefined,
        { timeout: 30_000 },
      );
      const recorded = await text(page, '#ended-recorded');
      const m =
        /^Procedure \d\d:\d\d, (\d+) frames; video: 1 segment\(s\), (\d+(?:\.\d)?) (kB|MB), verified at the hub\.$/.exec(
          recorded,
        );
      expect(m, recorded).not.toBeNull();
      expect(Number(m![1])).toBe(edgeProcedure().frame_count);
      const { bytes } = edge.db
        .prepare('SELECT sum(size_bytes) AS bytes FROM recordings WHERE procedure_id = ?')
        .get(edgeProcedure().id) as { bytes: number };
      expect(bytes).toBeGreaterThan(0);
      expect(`${m![2]} ${m![3]}`).toBe(
        bytes < 1e6 ? `${Math.ceil(bytes / 1e3)} kB` : `${(bytes / 1e6).toFixed(1)} MB`,
      );

      // The picture is the clip's last frame, not a black box.
      expect(await page.getAttribute('#preview', 'src')).toMatch(/^\/api\/v1\/realtime\/preview\.jpg\?\d+$/);
      await page.waitForFunction(() => {
        const img = document.getElementById('preview') as HTMLImageElement;
        return img.complete && img.naturalWidth > 0;
      });
      const luma = await page.evaluate(() => {
        const img = document.getElementById('preview') as HTMLImageElement;
        const c = document.createElement('canvas');
        c.width = 64;
        c.height = 36;
        const g = c.getContext('2d')!;
        g.drawImage(img, 0, 0, 64, 36);
        const d = g.getImageData(0, 0, 64, 36).data;
        let sum = 0;
        for (let i = 0; i < d.length; i += 4) sum += 0.299 * d[i]! + 0.587 * d[i + 1]! + 0.114 * d[i + 2]!;
        return sum / (d.length / 4);
      });
      expect(luma).toBeGreaterThan(20);

      // Nothing can start without a source: the buttons say so, and so does the API.
      expect(await page.isDisabled('#start')).toBe(true);
      expect(await page.getAttribute('#start', 'title')).toBe('No video: the source has ended');
      expect(await page.isDisabled('#end')).toBe(true);
      expect(await page.isDisabled('#cecum')).toBe(true);
      const refused = await fetch(`${edge.httpUrl}/api/v1/procedures`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(refused.status).toBe(409);
      expect(((await refused.json()) as { error: string }).error).toBe(
        'no procedure can start: the video source has ended: there is nothing to analyse',
      );
      await page.screenshot({ path: join(artifactsDir, 'in-room-ended.png'), fullPage: true });
    } finally {
      await context.close();
    }
  }, 60_000);

  it('in-room page: an endoscopist signs in, tunes their alert settings, and starts and ends a procedure', async () => {
    const fourth = await startEdge(
      loadEdgeConfig({
        GIC_EDGE_DATA_DIR: join(dir, 'edge-operator'),
        GIC_EDGE_PORT: String(await freePort()),
        GIC_EDGE_NAME: 'pages-test-room-4',
        GIC_HUB_URL: hub.httpUrl,
        GIC_ENROLMENT_TOKEN: await enrolmentToken(),
        GIC_SOURCE: 'test', // the test pattern reads as outside the body: nothing starts by itself
        GIC_SCREEN_TYPED_NAMES: 'true', // no PIN issued at this hub: a typed name, as before PINs
        GIC_MODELS: 'pp-ocrv4-det',
        GIC_MODELS_DIR: modelsDir,
        GIC_LOG_LEVEL: 'warn',
      }),
      log,
    );
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      await page.goto(fourth.httpUrl);
      await page.waitForFunction(() => Number(document.getElementById('frames')?.textContent) > 0);
      expect(await text(page, '#who')).toBe('Not signed in (room settings)');
      expect(await page.isDisabled('#end')).toBe(true);
      expect(await page.isDisabled('#cecum')).toBe(true);

      await page.fill('#name', 'Dr. Okafor');
      await page.click('#signin-button');
      await page.waitForFunction(
        () => document.getElementById('who')?.textContent === 'Signed in: Dr. Okafor',
      );
      await page.click('#settings-button');
      await page.waitForSelector('#settings.show');
      expect(await page.inputValue('#sensitivity')).toBe('0.6'); // the room's default, until changed
      await page.fill('#sensitivity', '0.85');
      await page.fill('#cooldown', '2000');
      await page.click('#settings-save');
      await page.waitForFunction(() =>
        document.getElementById('settings-note')?.textContent?.startsWith('Saved'),
      );
      const settings = await (
        await fetch(`${fourth.httpUrl}/api/v1/operators/${encodeURIComponent('Dr. Okafor')}/alert-settings`)
      ).json();
      expect(settings).toMatchObject({ sensitivity: 0.85, cooldownMs: 2000, minDurationMs: 300 });

      await page.click('#start');
      await page.waitForFunction(
        () => document.getElementById('procedure-state')?.textContent === '(started by Dr. Okafor)',
      );
      await page.waitForFunction(() => Number(document.getElementById('procedure-frames')?.textContent) > 2);
      expect(await page.isDisabled('#start')).toBe(true);
      await page.click('#end');
      await page.waitForFunction(() => document.getElementById('procedure-state')?.textContent === '(ended)');
      expect(await text(page, '#timer')).toMatch(/^\d\d:\d\d \(ended\)$/);
      const row = fourth.db
        .prepare('SELECT start_trigger, operator, end_reason, ended_by, frame_count FROM procedures')
        .get() as Record<string, unknown>;
      expect(row).toMatchObject({
        start_trigger: 'operator',
        operator: 'Dr. Okafor',
        end_reason: 'operator',
        ended_by: 'Dr. Okafor',
      });
      expect(Number(row.frame_count)).toBeGreaterThan(2);
      // A second end is refused with a reason; a malformed start is refused too.
      const again = await fetch(`${fourth.httpUrl}/api/v1/procedures/current/end`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ by: 'Dr. Okafor' }),
      });
      expect(again.status).toBe(409);
      const bad = await fetch(`${fourth.httpUrl}/api/v1/procedures`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ by: 42 }),
      });
      expect(bad.status).toBe(400);
      await page.click('#signout');
      await page.waitForFunction(() =>
        document.getElementById('who')?.textContent?.startsWith('Not signed in'),
      );
      await page.screenshot({ path: join(artifactsDir, 'in-room-operator.png'), fullPage: true });
    } finally {
      await context.close();
      await fourth.stop();
    }
  }, 40_000);

  it('in-room page: a model whose file fails its SHA-256 check is shown as off, with the reason', async () => {
    // A manifest that names the real model file but a different SHA-256.
    const badModels = join(dir, 'bad-models');
    mkdirSync(join(badModels, 'pp-ocrv4-det'), { recursive: true });
    const manifest = JSON.parse(readFileSync(join(modelsDir, 'pp-ocrv4-det.json'), 'utf8'));
    manifest.files[0].sha256 = '0'.repeat(64);
    writeFileSync(join(badModels, 'pp-ocrv4-det.json'), JSON.stringify(manifest));
    symlinkSync(
      join(root, 'node_modules', manifest.files[0].npm.package, manifest.files[0].npm.path),
      join(badModels, 'pp-ocrv4-det', 'model.onnx'),
    );

    const second = await startEdge(
      loadEdgeConfig({
        GIC_EDGE_DATA_DIR: join(dir, 'edge-model-off'),
        GIC_EDGE_PORT: String(await freePort()),
        GIC_EDGE_NAME: 'pages-test-room-2',
        GIC_HUB_URL: hub.httpUrl,
        GIC_ENROLMENT_TOKEN: await enrolmentToken(),
        GIC_SOURCE: 'test',
        GIC_MODELS_DIR: badModels,
        // More free space than any disk has: the screen must warn.
        GIC_DISK_MIN_FREE_GB: '1000000',
        GIC_LOG_LEVEL: 'warn',
      }),
      createLogger('pages-model-off', 'fatal'), // the model-off error is expected here
    );
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const page = await context.newPage();
      await page.goto(second.httpUrl);
      // The banner is filled from the latest analysis, so it shows once a frame is analysed.
      await page.waitForSelector('#banner.show', { state: 'visible', timeout: 15_000 });
      const banner = await text(page, '#banner');
      expect(banner).toMatch(/^MODEL OFF: pp-ocrv4-det - /);
      expect(banner).toContain('SHA-256');
      expect(banner).toContain(`manifest says ${'0'.repeat(64)}`);
      expect(banner).not.toContain('NO SIGNAL');
      expect(banner).toMatch(/DISK LOW: only [\d.]+ GB free for recordings/);
      // Analysis runs on without it: frames counted, no model in use, nothing masked.
      expect(Number(await text(page, '#frames'))).toBeGreaterThan(0);
      expect(await text(page, '#models')).toBe('none');
      expect(await text(page, '#privacy')).toBe('0 region(s)');
      expect(await text(page, '#source')).toBe('test: test pattern (live)');

      await page.screenshot({ path: join(artifactsDir, 'in-room-model-off.png'), fullPage: true });
    } finally {
      await context.close();
      await second.stop();
    }
  }, 30_000);

  it('in-room page: a finding raises one alert, which can be acknowledged, and the acknowledgement is audited', async () => {
    // An operator-supplied polyp detector (the tiny generated one), set sensitive enough to fire on the clip.
    const polypModels = join(dir, 'polyp-models');
    mkdirSync(polypModels, { recursive: true });
    writeFileSync(join(polypModels, 'pp-ocrv4-det.json'), readFileSync(join(modelsDir, 'pp-ocrv4-det.json')));
    const id = installTinyPolypModel(polypModels);
    const manifestPath = join(polypModels, `${id}.json`);
    writeFileSync(
      manifestPath,
      JSON.stringify({
        ...JSON.parse(readFileSync(manifestPath, 'utf8')),
        output: { ...JSON.parse(readFileSync(manifestPath, 'utf8')).output, threshold: 0.3 },
      }),
    );
    const third = await startEdge(
      loadEdgeConfig({
        GIC_EDGE_DATA_DIR: join(dir, 'edge-alerts'),
        GIC_EDGE_PORT: String(await freePort()),
        GIC_EDGE_NAME: 'pages-test-room-3',
        GIC_HUB_URL: hub.httpUrl,
        GIC_ENROLMENT_TOKEN: await enrolmentToken(),
        GIC_SOURCE: `file:${samplePath}`,
        GIC_SOURCE_LOOP: 'true',
        GIC_MODELS_DIR: polypModels,
        GIC_MODELS: `pp-ocrv4-det,${id}`,
        GIC_ALERT_SENSITIVITY: '0.3',
        GIC_ANALYSIS_FPS: '3',
        GIC_ANALYSIS_MIN_FPS: '3',
        GIC_LOG_LEVEL: 'warn',
      }),
      log,
    );
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      const screenOpenedAt = Date.now();
      await page.goto(third.httpUrl);
      // From when its WebSocket is open, the box counts this screen as watching (the page says so).
      await page.waitForFunction(() => document.documentElement.dataset.live === 'websocket');
      const screenWatchingAt = Date.now();
      await page.waitForSelector('#alerts li.active button.ack', { timeout: 15_000 });
      const alertId = await page.getAttribute('#alerts li.active', 'data-alert-id');
      expect(alertId).toMatch(/^[0-9a-f-]{36}$/);
      expect(await text(page, `#alerts li[data-alert-id="${alertId}"] span`)).toMatch(/^POLYP \d+%$/);
      await page.screenshot({ path: join(artifactsDir, 'in-room-alert.png'), fullPage: true });
      await page.click(`#alerts li[data-alert-id="${alertId}"] button.ack`);
      await page.waitForSelector(`#alerts li.acknowledged[data-alert-id="${alertId}"]`, { timeout: 5_000 });
      expect(await text(page, `#alerts li[data-alert-id="${alertId}"] span`)).toContain(
        'acknowledged by in-room screen',
      );
      const row = third.db.prepare('SELECT * FROM alerts WHERE id = ?').get(alertId) as Record<
        string,
        unknown
      >;
      expect(row).toMatchObject({
        state: 'acknowledged',
        acknowledged_by: 'in-room screen',
        label: 'polyp',
        model_id: id,
      });
      expect(Date.parse(String(row.acknowledged_at))).toBeGreaterThan(Date.parse(String(row.raised_at)));
      // The finding is listed with its thumbnail (patient identity burned out: see finding-thumbnail.test.ts).
      await page.waitForFunction(
        (id) => {
          const img = document.querySelector(
            `#findings-list li[data-alert-id="${id}"] img`,
          ) as HTMLImageElement | null;
          return Boolean(img?.complete && img.naturalWidth > 0);
        },
        alertId,
        { timeout: 10_000 },
      );
      const thumb = await fetch(`${third.httpUrl}/api/v1/alerts/${alertId}/thumbnail.jpg`);
      expect(thumb.headers.get('content-type')).toBe('image/jpeg');
      expect([...new Uint8Array(await thumb.arrayBuffer()).slice(0, 2)]).toEqual([0xff, 0xd8]);
      expect((await fetch(`${third.httpUrl}/api/v1/alerts/${randomUUID()}/thumbnail.jpg`)).status).toBe(404);
      // `shown` says whether a screen was watching when it was raised.
      const raisedAt = Date.parse(String(row.raised_at));
      if (raisedAt < screenOpenedAt) expect(row.shown).toBe(0);
      if (raisedAt > screenWatchingAt) expect(row.shown).toBe(1);
      // The hub has the same audit, through the outbox.
      let atHub: unknown;
      for (let i = 0; i < 100 && !atHub; i++) {
        atHub = (
          await hub.db.query('SELECT state, acknowledged_by FROM alerts WHERE id = $1 AND state = $2', [
            alertId,
            'acknowledged',
          ])
        ).rows[0];
        if (!atHub) await new Promise((r) => setTimeout(r, 100));
      }
      expect(atHub).toEqual({ state: 'acknowledged', acknowledged_by: 'in-room screen' });
      // One alert per lesion, not per frame: seconds more of the same four findings raise no more.
      const procedureId = String(row.procedure_id);
      const count = (table: string) =>
        (
          third.db.prepare(`SELECT count(*) AS n FROM ${table} WHERE procedure_id = ?`).get(procedureId) as {
            n: number;
          }
        ).n;
      // (Up to 20 s: a busy CPU analyses fewer frames a second.)
      for (let i = 0; i < 200 && count('frame_analyses') < 12; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(count('frame_analyses')).toBeGreaterThanOrEqual(12);
      expect(count('alerts')).toBeLessThanOrEqual(4);

      // Marking the cecum starts the withdrawal time, on the screen, on the box and at the hub.
      await page.click('#cecum');
      await page.waitForFunction(
        () => document.querySelector('#withdrawal')?.textContent !== '--:--',
        undefined,
        { timeout: 5_000 },
      );
      expect(await page.isDisabled('#cecum')).toBe(true);
      const marked = third.db
        .prepare('SELECT cecum_reached_at FROM procedures WHERE id = ?')
        .get(procedureId) as {
        cecum_reached_at: string | null;
      };
      expect(marked.cecum_reached_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      let withdrawal: number | null = null;
      for (let i = 0; i < 100 && withdrawal === null; i++) {
        const res = await fetch(`${hub.httpUrl}/api/v1/procedures?limit=500`, {
          headers: { authorization: `Bearer ${accessToken}` },
        });
        const { items } = (await res.json()) as { items: { id: string; withdrawalSeconds: number | null }[] };
        withdrawal = items.find((p) => p.id === procedureId)?.withdrawalSeconds ?? null;
        if (withdrawal === null) await new Promise((r) => setTimeout(r, 100));
      }
      expect(withdrawal).toBeGreaterThanOrEqual(0);
      const again = await fetch(`${third.httpUrl}/api/v1/procedures/current/landmarks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ landmark: 'cecum', by: 'test' }),
      });
      expect(again.status).toBe(409);

      // The chat, with no model installed: the notice and the model's state on screen, timeline
      // answers streamed with cited times (an alert's opens its picture), and the reason for the rest.
      expect(await text(page, '#chat-notice')).toContain('not a diagnosis');
      expect(await text(page, '#chat-model')).toMatch(
        /^Model off: VLM model not installed: .*medgemma-4b-it lacks /,
      );
      const ask = async (question: string, source: string) => {
        await page.fill('#chat-input', question);
        await page.click('#chat-form button[type=submit]');
        const item = page.locator(`#chat-log li.chat-assistant[data-source="${source}"]`).last();
        await item.waitFor({ timeout: 10_000 });
        return item;
      };
      const polyps = await ask('How many polyps so far?', 'timeline');
      expect(await polyps.textContent()).toMatch(/polyp alert/);
      await polyps.locator('.citation').first().click();
      await page.waitForFunction(
        () => {
          const img = document.querySelector('#chat-frame img') as HTMLImageElement | null;
          return Boolean(img?.complete && img.naturalWidth > 0);
        },
        undefined,
        { timeout: 5_000 },
      );
      expect(await (await ask('How long was the withdrawal?', 'timeline')).textContent()).toMatch(
        /The withdrawal began when the cecum was marked at/,
      );
      expect(await (await ask('Is this an adenoma?', 'unavailable')).textContent()).toContain(
        'none is installed here',
      );
      await page.screenshot({ path: join(artifactsDir, 'in-room-chat.png'), fullPage: true });
      const stored = third.db
        .prepare("SELECT count(*) AS n FROM chat_messages WHERE procedure_id = ? AND role = 'assistant'")
        .get(procedureId) as { n: number };
      expect(stored.n).toBe(3);
    } finally {
      await context.close();
      await third.stop();
    }
  }, 60_000);
});

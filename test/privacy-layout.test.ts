/**
 * The tower's on-screen-display layout, learned by an edge from its video, stored there, shown on the
 * in-room screen (headless Chromium), edited there by a person, and kept at the hub as part of the
 * device's record, through the outbox and MQTT like every other event.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadEdgeConfig } from '@gic/edge/config.js';
import { type RunningEdge, startEdge } from '@gic/edge/edge-process.js';
import { loadHubConfig } from '@gic/hub/config.js';
import { type RunningHub, startHub } from '@gic/hub/hub-process.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { privacyClips } from '@gic/shared/testing/privacy-clips.js';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, enrolmentToken, HUB_API_POLL_MS, until } from './helpers.js';
import { freePort } from './ports.js';
import { clipFile, modelsDir, workDir } from './privacy-run.js';
import { testHubEnv } from './test-database.js';

const log = createLogger('privacy-layout', 'warn');
const ADMIN_PASSWORD = 'privacy-layout-admin';
type Region = { x: number; y: number; w: number; h: number; origin: string };

describe('the mask layout: learned, shown, edited in the room, synced to the hub', () => {
  const dir = workDir('privacy-layout');
  let hub: RunningHub;
  let edge: RunningEdge;
  let browser: Browser;
  let token: string;

  const hubLayout = async () => {
    const res = await fetch(`${hub.httpUrl}/api/v1/devices`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const { items } = (await res.json()) as {
      items: { mask_layout: Region[] | null; mask_layout_change: string | null }[];
    };
    return items[0];
  };
  const edgeLayout = async () =>
    ((await (await fetch(`${edge.httpUrl}/api/v1/privacy`)).json()) as { layout: Region[] }).layout;

  beforeAll(async () => {
    // 8 s: the layout is learned from full text scans, about one a second.
    const clip = privacyClips(8)[0]!;
    const [launched, started, path] = await Promise.all([
      chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      }),
      (async () => startHub(loadHubConfig(await testHubEnv(dir, ADMIN_PASSWORD)), log))(),
      clipFile(clip),
    ]);
    browser = launched;
    hub = started;
    token = await adminToken(hub.httpUrl, ADMIN_PASSWORD);
    edge = await startEdge(
      loadEdgeConfig({
        GIC_EDGE_DATA_DIR: join(dir, 'edge'),
        GIC_EDGE_PORT: String(await freePort()),
        GIC_HUB_URL: hub.httpUrl,
        GIC_ENROLMENT_TOKEN: await enrolmentToken(hub.httpUrl, ADMIN_PASSWORD),
        GIC_SOURCE: `file:${path}`,
        GIC_REPLAY_REALTIME: 'false',
        GIC_ANALYSIS_FPS: '5',
        GIC_ANALYSIS_MIN_FPS: '5',
        GIC_MODELS_DIR: modelsDir,
        GIC_PROCEDURE_AUTO_START_S: '1',
        GIC_LOG_LEVEL: 'warn',
      }),
      log,
    );
    await edge.sourceEnded;
  }, 300_000);

  afterAll(async () => {
    await edge?.stop();
    await hub?.stop();
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('learns the banner and the small print beside the picture, and the hub has the same layout', async () => {
    const learned = await edgeLayout();
    expect(learned.length).toBeGreaterThanOrEqual(2);
    expect(learned.every((b) => b.origin === 'learned')).toBe(true);
    // The two-line banner at the top left (20..560 x 14..80 px of 1280x1024) is one learned region.
    expect(
      learned.some(
        (b) => b.x <= 20 / 1280 && b.y <= 14 / 1024 && b.x + b.w >= 500 / 1280 && b.y + b.h >= 75 / 1024,
      ),
    ).toBe(true);
    const atHub = await until(
      'the layout at the hub',
      async () => {
        const device = await hubLayout();
        return device?.mask_layout?.length === learned.length ? device : undefined;
      },
      60_000,
      HUB_API_POLL_MS,
    );
    expect(atHub.mask_layout).toEqual(learned);
    expect(atHub.mask_layout_change).toBe('learned');
  }, 60_000);

  it('is shown on the in-room screen, where a person removes a region, adds one, and saves', async () => {
    const before = await edgeLayout();
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    try {
      const page = await context.newPage();
      // The live preview (MJPEG) never finishes loading: the page is ready once its script runs.
      await page.goto(edge.httpUrl, { waitUntil: 'domcontentloaded' });
      await page.waitForFunction(
        (n) => document.querySelectorAll('#privacy-layout li[data-region]').length === n,
        before.length,
        {
          timeout: 10_000,
        },
      );
      expect(await page.textContent('#privacy-mode')).toBe('(mask-outside)');
      expect(await page.isVisible('#privacy-off')).toBe(false);
      // Remove the first region, add one by hand, save.
      await page.click('#privacy-layout li[data-region="0"] button');
      await page.fill('#privacy-x', '80');
      await page.fill('#privacy-y', '1');
      await page.fill('#privacy-w', '19');
      await page.fill('#privacy-h', '4');
      await page.click('#privacy-add button[type=submit]');
      expect(await page.textContent('#privacy-note')).toBe('Not saved yet');
      await page.click('#privacy-save');
      await page.waitForFunction(
        () => document.getElementById('privacy-note')?.textContent?.startsWith('Saved'),
        undefined,
        {
          timeout: 10_000,
        },
      );
      await page.screenshot({
        path: join(import.meta.dirname, 'artifacts', 'privacy-panel.png'),
        fullPage: true,
      });
    } finally {
      await context.close();
    }
    const after = await edgeLayout();
    expect(after).toHaveLength(before.length);
    expect(after).toContainEqual({ x: 0.8, y: 0.01, w: 0.19, h: 0.04, origin: 'manual' });
    expect(after).not.toContainEqual(before[0]);
    const atHub = await until(
      'the edited layout at the hub',
      async () => {
        const device = await hubLayout();
        return device?.mask_layout_change === 'edited' ? device : undefined;
      },
      60_000,
      HUB_API_POLL_MS,
    );
    expect(atHub.mask_layout).toEqual(after);
  }, 60_000);
});

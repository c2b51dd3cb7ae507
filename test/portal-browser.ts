import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Where the browser tests leave their screenshots (ignored by git). */
export const ARTIFACTS = join(import.meta.dirname, 'artifacts');

/**
 * The system's Chromium, headless. Seconds on a loaded machine: a test file starts it in its
 * `beforeAll`, beside the hub and the box, and closes it in its `afterAll`.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** A page on the hub's portal, signed in as `username` through its form, then at `hash` (e.g. `#/rollouts`). */
export async function openPortal(
  browser: Browser,
  hubUrl: string,
  password: string,
  hash: string,
  username = 'admin',
): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(hubUrl);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#signout');
  await page.evaluate((h) => {
    location.hash = h;
  }, hash);
  return page;
}

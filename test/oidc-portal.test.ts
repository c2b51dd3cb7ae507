/**
 * The portal's single sign-on in a real browser (headless Chromium): the "Sign in with <provider>"
 * button the hub's settings show, the trip to the provider (a real one, `oidc-provider`) and back, and
 * the portal signed in with the one-time code gone from the address bar.
 */
import { hashPassword, randomPassword } from '@gic/hub/auth/passwords.js';
import { insertUserIfAbsent } from '@gic/hub/auth/users-repo.js';
import type { Database } from '@gic/hub/db/database.js';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveSsoHub, ssoEnv, startTestProvider, type TestProvider } from './oidc-fixture.js';
import { freePort } from './ports.js';
import { createTestDatabase } from './test-database.js';

describe('the portal signs in by single sign-on', () => {
  let db: Database;
  let provider: TestProvider;
  let hub: { hubUrl: string; close(): Promise<void> };
  let browser: Browser;

  beforeAll(async () => {
    const launching = chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
      ],
    });
    ({ db } = await createTestDatabase());
    const hubPort = await freePort();
    provider = await startTestProvider(`http://127.0.0.1:${hubPort}/api/v1/auth/oidc/callback`, {
      'sub-alice': { username: 'alice', groups: ['physicians'] },
    });
    hub = await serveSsoHub(db, hubPort, ssoEnv(provider));
    await insertUserIfAbsent(db, 'alice', await hashPassword(randomPassword()), 'trainee');
    browser = await launching;
  });

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    await provider?.close();
    await db?.end();
  });

  it("shows the provider's button, and comes back signed in with no code left in the address bar", async () => {
    const page = await browser.newPage();
    await page.goto(hub.hubUrl);
    const button = page.locator('#sso a');
    await button.waitFor();
    expect((await button.textContent())?.trim()).toBe('Sign in with Test IdP');
    await button.click();
    await page.waitForSelector('#who');
    // The provider's group made alice a reviewer.
    expect((await page.textContent('#who'))?.trim()).toBe('alice (reviewer)');
    expect(page.url()).toBe(`${hub.hubUrl}/#/`);
    const stored = await page.evaluate(() => sessionStorage.getItem('gic.session'));
    expect(JSON.parse(stored!)).toMatchObject({ username: 'alice', role: 'reviewer' });
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NOT_BUILT, webAssetRoutes } from './web-assets.js';

describe('the bundled front end, served from a dist folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-web-assets-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the page and its assets, names nothing else, and says plainly when it was never built', async () => {
    const empty = webAssetRoutes(join(dir, 'missing'));
    const unbuilt = await empty.request('/');
    expect(unbuilt.status).toBe(503);
    expect(await unbuilt.text()).toBe(NOT_BUILT);

    mkdirSync(join(dir, 'assets'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(dir, 'assets', 'app.css'), 'body{}');
    writeFileSync(join(dir, 'secret.txt'), 'not an asset');
    const app = webAssetRoutes(dir);
    const page = await app.request('/');
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<title>t</title>');
    const js = await app.request('/assets/app.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toBe('console.log(1)');
    expect((await app.request('/assets/app.css')).headers.get('content-type')).toBe(
      'text/css; charset=utf-8',
    );
    for (const path of [
      '/assets/missing.js',
      '/assets/..%2Fsecret.txt',
      '/assets/../secret.txt',
      '/secret.txt',
    ])
      expect((await app.request(path)).status, path).toBe(404);
  });
});

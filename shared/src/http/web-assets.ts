import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Hono } from 'hono';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};

/** Said when a process runs from sources whose front end was never bundled. */
export const NOT_BUILT =
  'This page is not built: run `npm run build` (scripts/build-web.mjs bundles it into dist/web).';

/**
 * Serves a front end bundled by scripts/build-web.mjs from `dir` (a process's dist/web): `/` is its
 * page, `/assets/<file>` its script, style sheet and source maps. Read once, at start (a few hundred
 * KiB): only files that exist there can be named, so no path from a request reaches the disk. Every
 * byte comes from the box itself: no CDN, no web font (the room may have no network).
 */
export function webAssetRoutes(dir: string): Hono {
  const page = existsSync(join(dir, 'index.html')) ? readFileSync(join(dir, 'index.html'), 'utf8') : null;
  const assets = new Map<string, { body: Uint8Array<ArrayBuffer>; type: string }>();
  const assetDir = join(dir, 'assets');
  if (existsSync(assetDir))
    for (const name of readdirSync(assetDir)) {
      const type = TYPES[extname(name)];
      if (type) assets.set(name, { body: new Uint8Array(readFileSync(join(assetDir, name))), type });
    }
  return new Hono()
    .get('/', (c) => (page === null ? c.text(NOT_BUILT, 503) : c.html(page)))
    .get('/assets/:name', (c) => {
      const asset = assets.get(c.req.param('name'));
      if (!asset) return c.json({ error: 'no such asset' }, 404);
      // The page names each bundle with its content hash (?v=), so a day's caching is never stale.
      return c.body(asset.body, 200, {
        'content-type': asset.type,
        'cache-control': 'public, max-age=86400',
      });
    });
}

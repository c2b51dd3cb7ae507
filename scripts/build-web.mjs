#!/usr/bin/env node
// Bundles the two front ends (Preact + TypeScript, see ARCHITECTURE.md "Front ends") into each
// process's dist, where the process serves them from (nothing from a CDN: the room may be offline):
//   edge/web/in-room/main.tsx -> edge/dist/web/{index.html, assets/in-room.js, assets/in-room.css}
//   hub/web/portal/main.tsx   -> hub/dist/web/{index.html, assets/portal.js, assets/portal.css}
// Type checking is `tsc -b` (edge/web and hub/web are projects of tsconfig.json); esbuild only bundles.
// Run by `npm run build`, scripts/setup.sh, the test run's global set-up and the Dockerfiles.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');

const apps = [
  { workspace: 'edge', name: 'in-room', title: 'GI Copilot - In-room' },
  { workspace: 'hub', name: 'portal', title: 'GI Copilot - Procedures' },
];

/** A short content hash, so a browser never runs a stale bundle after an update. */
const hash = (path) => createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 12);

async function bundle({ workspace, name, title }) {
  const outDir = join(root, workspace, 'dist', 'web');
  const assets = join(outDir, 'assets');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(assets, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { [name]: join(workspace, 'web', name, 'main.tsx') },
    outdir: assets,
    bundle: true,
    format: 'esm',
    // The in-room box ships Chromium; the portal is used from current hospital browsers.
    target: ['chrome110', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  const js = join(assets, `${name}.js`);
  const css = join(assets, `${name}.css`);
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
${existsSync(css) ? `<link rel="stylesheet" href="/assets/${name}.css?v=${hash(css)}">\n` : ''}</head>
<body>
<div id="app"></div>
<script type="module" src="/assets/${name}.js?v=${hash(js)}"></script>
</body>
</html>
`;
  writeFileSync(join(outDir, 'index.html'), html);
  const sizes = Object.entries(result.metafile.outputs)
    .filter(([file]) => !file.endsWith('.map'))
    .map(([file, out]) => `${file.split('/').pop()} ${(out.bytes / 1024).toFixed(1)} KiB`);
  return `${workspace}/dist/web: ${sizes.join(', ')}`;
}

const started = Date.now();
const lines = await Promise.all(apps.map(bundle));
if (!process.argv.includes('--quiet'))
  console.log(`build-web: ${lines.join('; ')} (${Date.now() - started} ms)`);

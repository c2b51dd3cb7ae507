import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * End-to-end files that load both cores for long stretches (OCR, full-rate analysis) or judge the
 * box's own timing under a load they make themselves (a niced stills analyser, live overlays): they
 * run with nothing else beside them.
 */
const SOLO = [
  'test/privacy-tower.test.ts',
  'test/privacy-layers.test.ts',
  'test/privacy-live.test.ts',
  'test/privacy-layout.test.ts',
  'test/edge-endurance.test.ts',
  'test/pages.test.ts',
  // Kills an edge a set time after its analyses reach the hub: with the unit project beside it, it
  // ended 2 of 4 full runs with one procedure short, and passed alone every time.
  'test/edge-crash.test.ts',
];
/**
 * End-to-end files that judge no timing (pixels read back, descriptors and memory counted) and run
 * beside the end-to-end project in the unit project's process, which has time to spare.
 */
const BESIDE = [
  'test/privacy-out-of-body.test.ts',
  'test/edge-soak.test.ts',
  // A hub alone, walked over HTTP: permissions, sites, sign-in and the audit log judge no timing.
  'test/people-access.test.ts',
  'test/people-sites.test.ts',
  'test/oidc-sign-in.test.ts',
  'test/audit-log.test.ts',
  // A backup and a restore read back row by row and hash by hash; keys rotated and a fleet page read.
  'test/backup-restore.test.ts',
  'test/device-keys.test.ts',
];

export default defineConfig({
  resolve: {
    // Workspace packages export built files; tests run the TypeScript sources directly.
    alias: [{ find: /^@gic\/(shared|provisioning|hub|edge)\/(.*)\.js$/, replacement: `${root}$1/src/$2.ts` }],
  },
  test: {
    globalSetup: ['test/global-setup.ts'],
    // Real models, pipelines and servers: generous, so a loaded CI machine is slow, not red.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Native addons (GStreamer, onnxruntime, better-sqlite3) are safest in forked processes.
    pool: 'forks',
    // `npm test` (scripts/run-tests.mjs) runs `unit` and `e2e` as two processes side by side, then
    // `e2e-solo` alone; `vitest run` alone runs the three one after the other.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            '{shared,provisioning,hub,edge}/src/**/*.test.ts',
            '{hub,edge}/web/**/*.test.ts',
            ...BESIDE,
          ],
        },
      },
      { extends: true, test: { name: 'e2e', include: ['test/**/*.test.ts'], exclude: [...SOLO, ...BESIDE] } },
      { extends: true, test: { name: 'e2e-solo', include: SOLO } },
    ],
  },
});

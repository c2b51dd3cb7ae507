import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  resolve: {
    // Workspace packages export built files; tests run the TypeScript sources directly.
    alias: [{ find: /^@gic\/(shared|provisioning|hub|edge)\/(.*)\.js$/, replacement: `${root}$1/src/$2.ts` }],
  },
  test: {
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Native addons (GStreamer, onnxruntime, better-sqlite3) are safest in forked processes.
    pool: 'forks',
    // `npm test` runs the two projects as two processes side by side (scripts/run-tests.mjs);
    // `vitest run` alone runs them one after the other.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{shared,provisioning,hub,edge}/src/**/*.test.ts', '{hub,edge}/web/**/*.test.ts'],
        },
      },
      { extends: true, test: { name: 'e2e', include: ['test/**/*.test.ts'] } },
    ],
  },
});

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  resolve: {
    // Workspace packages export built files; tests run the TypeScript sources directly.
    alias: [{ find: /^@gic\/(shared|provisioning|hub|edge)\/(.*)\.js$/, replacement: `${root}$1/src/$2.ts` }],
  },
  test: {
    include: [
      '{shared,provisioning,hub,edge}/src/**/*.test.ts',
      '{hub,edge}/web/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Native addons (GStreamer, onnxruntime, better-sqlite3) are safest in forked processes.
    pool: 'forks',
  },
});

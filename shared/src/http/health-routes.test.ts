import { describe, expect, it } from 'vitest';
import { healthRoutes } from './health-routes.js';

describe('healthRoutes', () => {
  const app = healthRoutes({
    checks: {
      db: async () => ({ latencyMs: 1 }),
      storage: async () => {
        throw new Error('bucket missing');
      },
      slow: () => new Promise(() => {}),
    },
    gpu: () => ({ executionProvider: 'cpu' }),
    timeoutMs: 50,
  });

  it('is live without checking anything', async () => {
    expect(await (await app.request('/live')).json()).toEqual({ ok: true });
  });

  it('is ready only when every check passes, and says which failed and why', async () => {
    const res = await app.request('/ready');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      ok: false,
      checks: {
        db: { ok: true, latencyMs: 1 },
        storage: { ok: false, error: 'bucket missing' },
        slow: { ok: false, error: 'timed out after 50 ms' },
      },
    });
  });

  it('serves each check on its own and the GPU report', async () => {
    expect((await app.request('/db')).status).toBe(200);
    expect((await app.request('/storage')).status).toBe(503);
    expect(await (await app.request('/gpu')).json()).toEqual({ ok: true, executionProvider: 'cpu' });
  });
});

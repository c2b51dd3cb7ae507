import { Hono } from 'hono';
import { withTimeout } from '../process/with-timeout.js';
import type { AppEnv } from './request-context.js';

/** One dependency check; throws or resolves with details. */
export type HealthCheck = () => Promise<Record<string, unknown>>;

export interface HealthOptions {
  /** Checks run by `/health/ready`; each is also served at `/health/{name}`. */
  checks: Record<string, HealthCheck>;
  /** Describes inference hardware honestly: which execution provider is in use. */
  gpu: () => Record<string, unknown>;
  /** Bound for each check (ms). */
  timeoutMs?: number;
}

async function runCheck(check: HealthCheck, timeoutMs: number) {
  try {
    return {
      ok: true,
      ...(await withTimeout(check(), timeoutMs, () => new Error(`timed out after ${timeoutMs} ms`))),
    };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** `/health/live`, `/health/ready`, `/health/gpu` and one route per named check. */
export function healthRoutes(options: HealthOptions): Hono<AppEnv> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const app = new Hono<AppEnv>();
  app.get('/live', (c) => c.json({ ok: true }));
  app.get('/gpu', (c) => c.json({ ok: true, ...options.gpu() }));
  app.get('/ready', async (c) => {
    const entries = await Promise.all(
      Object.entries(options.checks).map(
        async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const,
      ),
    );
    const ok = entries.every(([, r]) => r.ok);
    return c.json({ ok, checks: Object.fromEntries(entries) }, ok ? 200 : 503);
  });
  for (const [name, check] of Object.entries(options.checks)) {
    app.get(`/${name}`, async (c) => {
      const result = await runCheck(check, timeoutMs);
      return c.json(result, result.ok ? 200 : 503);
    });
  }
  return app;
}

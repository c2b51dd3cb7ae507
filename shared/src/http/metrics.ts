import type { MiddlewareHandler } from 'hono';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** A Prometheus registry with process metrics and HTTP request metrics. */
export function createMetrics(prefix: string) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: `${prefix}_` });
  const httpDuration = new Histogram({
    name: `${prefix}_http_request_duration_seconds`,
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  const middleware: MiddlewareHandler = async (c, next) => {
    const end = httpDuration.startTimer();
    await next();
    end({ method: c.req.method, route: c.req.routePath ?? 'unmatched', status: String(c.res.status) });
  };
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    new Counter({ name: `${prefix}_${name}`, help, labelNames, registers: [registry] });
  const histogram = (name: string, help: string, buckets: number[]) =>
    new Histogram({ name: `${prefix}_${name}`, help, buckets, registers: [registry] });
  return { registry, middleware, counter, histogram };
}
export type Metrics = ReturnType<typeof createMetrics>;

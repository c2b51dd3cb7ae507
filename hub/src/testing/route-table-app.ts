import { createMetrics } from '@gic/shared/http/metrics.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { createHubApp } from '../http/hub-app.js';

/**
 * The hub app with every part it serves, for tests that read only its route table: the parts behind
 * the routes are never called, so they stand in as empty objects. `metricsName` keeps each test's
 * metrics apart.
 */
export function routeTableApp(metricsName: string) {
  const none = {} as never;
  return createHubApp({
    log: createLogger('test', 'silent'),
    metrics: createMetrics(metricsName),
    db: none,
    store: none,
    secret: new Uint8Array(32),
    api: {
      jobs: none,
      mqttPublicUrl: 'mqtt://hub.example:1883',
      hubPublicUrl: 'http://hub.example:8080',
      videos: { uploads: none, processor: none, exports: none, urlTtlSeconds: 60 },
    },
    gpu: () => ({}),
    extraChecks: {},
  });
}

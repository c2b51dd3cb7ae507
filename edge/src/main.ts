#!/usr/bin/env node
import './threadpool.js';
import { ConfigError } from '@gic/shared/config/parse-env.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { loadEdgeConfig } from './config.js';
import { startEdge } from './edge-process.js';

let config: ReturnType<typeof loadEdgeConfig>;
try {
  config = loadEdgeConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`gic-edge: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
const log = createLogger('gic-edge', config.logLevel);
process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));

const edge = await startEdge(config, log).catch((err: Error) => {
  log.fatal({ err }, 'edge failed to start');
  process.exit(1);
});
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping edge');
    edge.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

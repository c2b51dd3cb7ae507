#!/usr/bin/env node
import './threadpool.js';
import { ConfigError } from '@gic/shared/config/parse-env.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { loadHubConfig } from './config.js';
import { startHub } from './hub-process.js';

let config: ReturnType<typeof loadHubConfig>;
try {
  config = loadHubConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`gic-hub: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
const log = createLogger('gic-hub', config.logLevel);
process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));

const hub = await startHub(config, log).catch((err: Error) => {
  log.fatal({ err }, 'hub failed to start');
  process.exit(1);
});
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping hub');
    hub.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

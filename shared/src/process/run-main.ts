import { ConfigError } from '../config/parse-env.js';
import { createLogger, type Logger } from '../logging/logger.js';

export interface MainOptions<C extends { logLevel: string }, R extends { stop(): Promise<void> }> {
  /** Process name, used in messages and as the log's `service`. */
  name: string;
  loadConfig: () => C;
  start: (config: C, log: Logger) => Promise<R>;
}

/**
 * A process's entry: reads its configuration (bad settings end it with one message listing every
 * problem and exit code 2), starts it, and stops it cleanly on SIGINT or SIGTERM.
 */
export async function runMain<C extends { logLevel: string }, R extends { stop(): Promise<void> }>(
  options: MainOptions<C, R>,
): Promise<void> {
  let config: C;
  try {
    config = options.loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${options.name}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(options.name, config.logLevel);
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  const running = await options.start(config, log).catch((err: Error) => {
    log.fatal({ err }, `${options.name} failed to start`);
    process.exit(1);
  });
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, `stopping ${options.name}`);
      running.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

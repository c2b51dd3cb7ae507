import { ConfigError } from '../config/parse-env.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { probeThreadPool, threadPoolSize } from './thread-pool.js';

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
  await reportThreadPool(log);
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

/** One line at start: the pool libuv got, that GStreamer holds none of it, and that it answers. */
async function reportThreadPool(log: Logger): Promise<void> {
  const { size, source } = threadPoolSize();
  const where = source === 'default' ? 'the default' : 'from UV_THREADPOOL_SIZE';
  try {
    const probeMs = await probeThreadPool();
    log.info(
      { threadPool: { size, source, probeMs, gstreamerThreads: 0 } },
      `libuv thread pool: ${size} threads (${where}); GStreamer waits on none of them; a pool job answered in ${probeMs} ms`,
    );
  } catch (err) {
    log.error({ threadPool: { size, source } }, `libuv thread pool: ${(err as Error).message}`);
  }
}

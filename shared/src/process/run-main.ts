import { ConfigError } from '../config/parse-env.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { describeError, StartError } from './start-error.js';
import { probeThreadPool, threadPoolSize } from './thread-pool.js';

export interface MainOptions<C extends { logLevel: string }, R extends { stop(): Promise<void> }> {
  /** Process name, used in messages and as the log's `service`. */
  name: string;
  loadConfig: () => C;
  start: (config: C, log: ReturnType<typeof createLogger>) => Promise<R>;
  /** Where the log goes; absent: standard output. */
  logDestination?: Parameters<typeof createLogger>[2];
}

/**
 * A process's entry: reads its configuration (bad settings end it with one message listing every
 * problem and exit code 2), starts it (a part that cannot start ends it with one line saying what
 * failed, why and what to do, and exit code 1), and stops it cleanly on SIGINT or SIGTERM.
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
  // A reader of our output that went away (a closed pipe) must not end the process: the log is lost,
  // the work goes on.
  for (const out of [process.stdout, process.stderr]) out.on('error', () => {});
  const log = createLogger(options.name, config.logLevel, options.logDestination);
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  await reportThreadPool(log);
  let running: R | undefined;
  // A bug, not an expected failure: say so in one line, stop what runs, and exit.
  process.on('uncaughtException', (err) => {
    const line = `${options.name}: internal error: ${describeError(err)} (stack in the log)`;
    process.stderr.write(`${line}\n`);
    log.fatal({ err }, line);
    setTimeout(() => process.exit(1), 10_000).unref(); // a stop that hangs must not keep it alive
    (running ? running.stop() : Promise.resolve()).finally(() => process.exit(1));
  });
  try {
    running = await options.start(config, log);
  } catch (err) {
    const line =
      err instanceof StartError
        ? `${options.name}: ${err.message}`
        : `${options.name}: failed to start: ${describeError(err)}`;
    process.stderr.write(`${line}\n`);
    log.fatal({ err }, line);
    process.exit(1);
  }
  const started = running;
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, `stopping ${options.name}`);
      started.stop().then(
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

import { type ServerType, serve } from '@hono/node-server';
import type { Logger } from '../logging/logger.js';
import { startPart } from '../process/start-error.js';

export interface Listening {
  server: ServerType;
  /** The port bound (the one asked for, or the one chosen for port 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `fetch` on host:port. A failure to listen is one StartError naming the address and the
 * settings that choose it (`portSetting`); an error after that is logged, never thrown.
 */
export function listenHttp(
  fetch: (request: Request) => Response | Promise<Response>,
  options: { host: string; port: number; hostSetting: string; portSetting: string },
  log: Logger,
): Promise<Listening> {
  return startPart(
    'the HTTP server',
    `stop what uses it, or set ${options.portSetting} (and ${options.hostSetting}) to a free address`,
    () =>
      new Promise<Listening>((resolve, reject) => {
        const server = serve({ fetch, hostname: options.host, port: options.port }, () => {
          server.off('error', reject);
          server.on('error', (err) => log.error({ err }, 'HTTP server error'));
          const address = server.address();
          resolve({
            server,
            port: typeof address === 'object' && address ? address.port : options.port,
            close: () => new Promise<void>((r) => server.close(() => r())),
          });
        });
        server.once('error', reject);
      }),
  );
}

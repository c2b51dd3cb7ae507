import { createServer as createHttpsServer } from 'node:https';
import { type ServerType, serve } from '@hono/node-server';
import type { Logger } from '../logging/logger.js';
import { startPart } from '../process/start-error.js';

export interface Listening {
  server: ServerType;
  /** The port bound (the one asked for, or the one chosen for port 0). */
  port: number;
  close(): Promise<void>;
}

/** A certificate and key (PEM) to serve HTTPS with, and the oldest TLS version accepted. */
export interface HttpsOptions {
  cert: Buffer | string;
  key: Buffer | string;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
}

/**
 * Serves `fetch` on host:port, over HTTPS when `options.tls` is given. A failure to listen is one StartError naming the address and the
 * settings that choose it (`portSetting`); an error after that is logged, never thrown.
 */
export function listenHttp(
  fetch: (request: Request) => Response | Promise<Response>,
  options: { host: string; port: number; hostSetting: string; portSetting: string; tls?: HttpsOptions },
  log: Logger,
): Promise<Listening> {
  return startPart(
    'the HTTP server',
    `stop what uses it, or set ${options.portSetting} (and ${options.hostSetting}) to a free address`,
    () =>
      new Promise<Listening>((resolve, reject) => {
        const { tls } = options;
        const https = tls
          ? {
              createServer: createHttpsServer,
              serverOptions: { cert: tls.cert, key: tls.key, minVersion: tls.minVersion },
            }
          : {};
        const server = serve({ fetch, hostname: options.host, port: options.port, ...https }, () => {
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

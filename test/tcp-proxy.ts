import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy the test controls, to cut and restore the network between two parts without
 * touching either: `cut()` drops every connection and refuses new ones until `restore()`. It can
 * also stand for another address in front of a part (a public address forwarded to a private one):
 * `host` is where it listens, `targetHost` where it forwards (both loopback by default).
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private open = true;
  /** Connections accepted so far. */
  accepted = 0;

  constructor(
    private readonly targetPort: number,
    readonly port: number,
    private readonly hosts: { host?: string; targetHost?: string } = {},
  ) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      if (!this.open) {
        client.destroy();
        return;
      }
      this.accepted++;
      const upstream = connect(this.targetPort, this.hosts.targetHost ?? '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.hosts.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', () => {}); // after listening: nothing a test must hear of
  }

  cut(): void {
    this.open = false;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.open = true;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

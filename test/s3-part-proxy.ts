import { createServer, request, type Server } from 'node:http';
import { pipeline, Transform } from 'node:stream';

/** One multipart part PUT as it passed through the proxy. */
export interface PartPut {
  uploadId: string;
  partNumber: number;
  /** When the request reached the proxy (ms since epoch). */
  startedAt: number;
  /** Body bytes forwarded to the S3 server so far. */
  bytes: number;
  /** The S3 server's answer; undefined while the part is in flight. */
  status?: number;
  /** The sender went away before the body was complete (the part never reached S3 whole). */
  aborted: boolean;
}

/** Passes bytes on no faster than `bytesPerSecond` on average (0 = no limit), counting each chunk. */
function paced(bytesPerSecond: number, onBytes: (n: number) => void): Transform {
  const started = performance.now();
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.length;
      const aheadMs =
        bytesPerSecond > 0 ? (total / bytesPerSecond) * 1000 - (performance.now() - started) : 0;
      const pass = () => {
        onBytes(chunk.length);
        done(null, chunk);
      };
      if (aheadMs > 0) setTimeout(pass, aheadMs);
      else pass();
    },
  });
}

/**
 * A loopback HTTP proxy in front of the S3 server, for devices' presigned URLs (the hub signs them
 * for this address through S3_PUBLIC_ENDPOINT, and the Host header passes through unchanged, so
 * signatures hold). It records every multipart part PUT that reaches the store and can slow part
 * bodies down, as a slow link would, so that a part is in flight long enough to be interrupted.
 */
export class S3PartProxy {
  readonly puts: PartPut[] = [];
  private server?: Server;

  constructor(
    private readonly targetPort: number,
    readonly port: number,
    /** Link speed for part bodies (bytes/s); 0 = as fast as loopback goes. */
    private readonly bytesPerSecond = 0,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const query = new URL(req.url ?? '/', this.url).searchParams;
      const partNumber = Number(query.get('partNumber'));
      const put: PartPut | undefined =
        req.method === 'PUT' && partNumber > 0
          ? {
              uploadId: query.get('uploadId') ?? '',
              partNumber,
              startedAt: Date.now(),
              bytes: 0,
              aborted: false,
            }
          : undefined;
      if (put) this.puts.push(put);
      const upstream = request(
        { host: '127.0.0.1', port: this.targetPort, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          if (put) put.status = answer.statusCode;
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          pipeline(answer, res, () => {});
        },
      );
      const body = paced(put ? this.bytesPerSecond : 0, (n) => {
        if (put) put.bytes += n;
      });
      // A sender killed mid-body destroys the upstream request too: S3 sees the part cut short.
      pipeline(req, body, upstream, (err) => {
        if (!err) return;
        if (put && put.status === undefined) put.aborted = true;
        res.destroy();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', () => resolve()));
  }

  /** Part PUTs of one upload still in flight (started, not answered, not abandoned). */
  inFlight(uploadId: string): PartPut[] {
    return this.puts.filter((p) => p.uploadId === uploadId && p.status === undefined && !p.aborted);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import S3rver from 's3rver';
import { localHost, urlHost } from '../config.js';

export interface EmbeddedS3Handle {
  /** Where this process reaches it. */
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts s3rver on host:port (a bare port: loopback) with its objects under `dir`. It speaks enough of S3 for presigned
 * multipart uploads, but has no ListParts or AbortMultipartUpload and checks no checksums: the hub
 * therefore verifies every object's SHA-256 itself.
 */
export async function startEmbeddedS3(
  dir: string,
  at: number | { host: string; port: number },
  bucket: string,
): Promise<EmbeddedS3Handle> {
  const listen = typeof at === 'number' ? { host: '127.0.0.1', port: at } : at;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const s3 = new S3rver({
    directory: dir,
    silent: true,
    // Buckets in the path only: devices reach it by the hub's public host name, never <bucket>.<host>.
    vhostBuckets: false,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  await s3.configureBuckets();
  // Served from our own server rather than s3rver's run(), whose listen leaves a bind error
  // (address in use) as an unhandled 'error' event that would end the process.
  const server = createServer(s3.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      server.on('error', (err) => s3.emit('error', err));
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  return {
    endpoint: `http://${urlHost(localHost(listen.host))}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

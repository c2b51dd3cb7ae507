import { mkdirSync } from 'node:fs';
import S3rver from 's3rver';

export interface EmbeddedS3Handle {
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts s3rver on loopback with its objects under `dir`. It speaks enough of S3 for presigned
 * multipart uploads, but has no ListParts or AbortMultipartUpload and checks no checksums: the hub
 * therefore verifies every object's SHA-256 itself.
 */
export async function startEmbeddedS3(dir: string, port: number, bucket: string): Promise<EmbeddedS3Handle> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const server = new S3rver({
    address: '127.0.0.1',
    port,
    directory: dir,
    silent: true,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const info = await server.run();
  return {
    endpoint: `http://127.0.0.1:${info.port}`,
    stop: () => server.close(),
  };
}

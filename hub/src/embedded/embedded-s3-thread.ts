/**
 * The embedded S3 server's thread (a worker_threads entry, see embedded-s3.ts): s3rver and its HTTP
 * server. Posts `{ port }` once listening, or `{ error }` (with the system error's code, address and
 * port) when it cannot; ends when told `stop`, after closing every connection.
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import S3rver from 's3rver';
import { checkS3Signature, type S3Credentials } from './s3-request-auth.js';
import { removeLeftoverTemporaries } from './s3rver-leftovers.js';
import {
  completeMultipartByCopy,
  type FilesystemStore,
  type ObjectReadingStore,
  serveInLargeChunks,
} from './s3rver-multipart.js';
import { type ObjectWritingStore, replaceObjectsWhole } from './s3rver-objects.js';
import { type PartStore, sentPartsReplaceCopies, supportPartCopy } from './s3rver-part-copy.js';
import {
  ABANDONED_UPLOAD_SWEEP_MS,
  answerAbort,
  removeAbandonedUploads,
  type UploadsStore,
} from './s3rver-uploads.js';

/** s3rver's one account, whose fixed key pair (S3RVER) is replaced by this server's. */
interface S3rverAccount {
  revokeAccessKey(id: string): void;
  createKeyPair(id: string, secret: string): void;
}

const { dir, host, port, bucket, credentials, leftoverAgeMs, abandonedUploadAgeMs } = workerData as {
  dir: string;
  leftoverAgeMs?: number;
  abandonedUploadAgeMs?: number;
  host: string;
  port: number;
  bucket: string;
  credentials: S3Credentials;
};

interface SystemError extends Error {
  code?: string;
  syscall?: string;
  address?: string;
  port?: number;
}
const plain = (err: SystemError) => ({
  message: err.message,
  code: err.code,
  syscall: err.syscall,
  address: err.address,
  port: err.port,
});

try {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Before listening: what a server that died mid-write left (a cut-short PUT, copy or part link).
  const leftovers = await removeLeftoverTemporaries(dir, leftoverAgeMs);
  const s3 = new S3rver({
    directory: dir,
    silent: true,
    // Buckets in the path only: devices reach it by the hub's public host name, never <bucket>.<host>.
    vhostBuckets: false,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  await s3.configureBuckets();
  completeMultipartByCopy((s3 as unknown as { store: FilesystemStore }).store);
  serveInLargeChunks((s3 as unknown as { store: ObjectReadingStore }).store);
  replaceObjectsWhole((s3 as unknown as { store: ObjectWritingStore }).store);
  sentPartsReplaceCopies((s3 as unknown as { store: PartStore }).store);
  supportPartCopy();
  const { DUMMY_ACCOUNT } = createRequire(import.meta.url)('s3rver/lib/models/account.js') as {
    DUMMY_ACCOUNT: S3rverAccount;
  };
  DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
  DUMMY_ACCOUNT.createKeyPair(credentials.accessKeyId, credentials.secretAccessKey);
  // Multipart uploads nobody will complete or abort (a writer that died): removed now and every hour.
  const uploads = (s3 as unknown as { store: UploadsStore }).store;
  const uploadsDir = uploads.getResourcePath(bucket, undefined, 'uploads');
  const abandoned = await removeAbandonedUploads(uploadsDir, abandonedUploadAgeMs);
  setInterval(() => {
    removeAbandonedUploads(uploadsDir, abandonedUploadAgeMs).then(
      (removed) => {
        if (removed.files > 0) parentPort!.postMessage({ abandoned: removed });
      },
      () => {},
    );
  }, ABANDONED_UPLOAD_SWEEP_MS).unref();
  const handle = s3.callback();
  // Served from our own server rather than s3rver's run(), whose listen leaves a bind error
  // (address in use) as an unhandled 'error' event. Every request's signature is checked first.
  const server = createServer((req, res) => {
    const refusal = checkS3Signature(
      { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers },
      credentials,
    );
    if (!refusal) {
      // AbortMultipartUpload, which s3rver lacks; everything else is s3rver's.
      if (answerAbort(uploads, bucket, req, res)) return;
      return void handle(req, res);
    }
    req.resume(); // the body is not read
    res.writeHead(403, { 'content-type': 'application/xml', connection: 'close' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${refusal.code}</Code><Message>${refusal.message}</Message></Error>`,
    );
  });
  server.once('error', (err) => parentPort!.postMessage({ error: plain(err) }));
  server.listen(port, host, () => {
    const address = server.address();
    parentPort!.postMessage({
      port: typeof address === 'object' && address ? address.port : port,
      leftovers,
      abandoned,
    });
  });
  parentPort!.on('message', (m: string) => {
    if (m !== 'stop') return;
    server.close(() => parentPort!.close());
    server.closeAllConnections();
  });
} catch (err) {
  parentPort!.postMessage({ error: plain(err as SystemError) });
}

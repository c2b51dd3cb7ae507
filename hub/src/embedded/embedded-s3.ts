import { Worker } from 'node:worker_threads';
import { localHost, urlHost } from '../config.js';
import { randomS3Credentials } from './embedded-s3-credentials.js';
import type { S3Credentials } from './s3-request-auth.js';
import type { LeftoversRemoved } from './s3rver-leftovers.js';

export interface EmbeddedS3Handle {
  /** Where this process reaches it. */
  endpoint: string;
  /** The one key pair it accepts. */
  credentials: S3Credentials;
  /** Temporary files a server that died mid-write had left, removed before this one listened. */
  leftoversRemoved: LeftoversRemoved;
  /** Multipart uploads left unfinished (ABANDONED_UPLOAD_AGE_MS), removed before this one listened. */
  abandonedUploadsRemoved: LeftoversRemoved;
  stop(): Promise<void>;
}

/** The built thread entry: the same file from `src/` (tests) and `dist/`. */
const ENTRY = new URL('../../dist/embedded/embedded-s3-thread.js', import.meta.url);
/** How long a stop waits for the thread to close its connections (ms) before ending it. */
const STOP_WAIT_MS = 5_000;

/**
 * Starts s3rver on host:port (a bare port: loopback) with its objects under `dir`. It speaks enough
 * of S3 for presigned multipart uploads (AbortMultipartUpload added here, and multipart uploads left
 * untouched for a day removed, as a lifecycle rule would: s3rver-uploads.ts), but has no ListParts and
 * checks no checksums: the hub therefore verifies every object's SHA-256 itself. It runs in a thread of its
 * own (embedded-s3-thread.ts): its MD5s, file writes and HTTP parsing (and the copy it makes of
 * every object when a multipart upload completes, see s3rver-multipart.ts) would otherwise share the hub's event loop with
 * the exports and uploads that feed it, leaving the machine's other cores idle. It answers only
 * requests signed with `credentials` (AWS Signature Version 4, see s3-request-auth.ts; a fresh
 * random pair unless given): s3rver itself lets anonymous requests through and checks no V4
 * signature.
 */
export async function startEmbeddedS3(
  dir: string,
  at: number | { host: string; port: number },
  bucket: string,
  options: {
    credentials?: S3Credentials;
    /** Called if the server's thread ends when not asked to (the store then answers nothing). */
    onDeath?: (reason: string) => void;
    /** Temporary files unchanged this long (ms) are taken as left by a crash (default: 10 minutes). */
    leftoverAgeMs?: number;
    /** Multipart uploads untouched this long (ms) are taken as abandoned (default: a day). */
    abandonedUploadAgeMs?: number;
    /** Told of abandoned uploads removed while the server runs (it looks every hour). */
    onAbandonedUploads?: (removed: LeftoversRemoved) => void;
  } = {},
): Promise<EmbeddedS3Handle> {
  const { credentials = randomS3Credentials(), onDeath = () => {} } = options;
  const listen = typeof at === 'number' ? { host: '127.0.0.1', port: at } : at;
  const worker = new Worker(ENTRY, {
    workerData: {
      dir,
      bucket,
      credentials,
      leftoverAgeMs: options.leftoverAgeMs,
      abandonedUploadAgeMs: options.abandonedUploadAgeMs,
      ...listen,
    },
  });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  let leftoversRemoved: LeftoversRemoved = { files: 0, bytes: 0 };
  let abandonedUploadsRemoved: LeftoversRemoved = { files: 0, bytes: 0 };
  const port = await new Promise<number>((resolve, reject) => {
    worker.once(
      'message',
      (m: {
        port?: number;
        leftovers?: LeftoversRemoved;
        abandoned?: LeftoversRemoved;
        error?: Record<string, unknown>;
      }) => {
        if (m.port !== undefined) {
          if (m.leftovers) leftoversRemoved = m.leftovers;
          if (m.abandoned) abandonedUploadsRemoved = m.abandoned;
          return resolve(m.port);
        }
        // The thread's error as a system error (code, address, port), for the start-up message.
        reject(Object.assign(new Error(String(m.error?.message)), m.error));
        void worker.terminate();
      },
    );
    worker.once('error', reject);
    void exited.then((code) => reject(new Error(`the embedded S3 server's thread ended (${code})`)));
  });
  worker.on('message', (m: { abandoned?: LeftoversRemoved; port?: number }) => {
    if (m.port === undefined && m.abandoned) options.onAbandonedUploads?.(m.abandoned);
  });
  let stopping = false;
  let failure = '';
  worker.on('error', (err) => {
    failure = err.message;
  });
  void exited.then((code) => {
    if (!stopping) onDeath(failure || `its thread ended (${code})`);
  });
  return {
    endpoint: `http://${urlHost(localHost(listen.host))}:${port}`,
    credentials,
    leftoversRemoved,
    abandonedUploadsRemoved,
    stop: async () => {
      stopping = true;
      worker.postMessage('stop');
      const timer = setTimeout(() => void worker.terminate(), STOP_WAIT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

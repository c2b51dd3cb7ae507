import { readdir, readFile, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { LeftoversRemoved } from './s3rver-leftovers.js';

/** The part of s3rver's FilesystemStore (3.7) that says where multipart uploads are kept. */
export interface UploadsStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
}

/** s3rver's upload ids: 16 random bytes in hex. Anything else names no upload (and no path). */
const UPLOAD_ID = /^[0-9a-f]{32}$/;

/**
 * How long a multipart upload must have gone untouched (no part received, nothing in its folder
 * changed) to be taken as abandoned: a process that died mid-upload never completes or aborts it.
 * S3 and MinIO leave such uploads to a lifecycle rule (AbortIncompleteMultipartUpload, commonly a day
 * or more); the embedded server has none, so it applies this one itself.
 */
export const ABANDONED_UPLOAD_AGE_MS = 24 * 3600_000;

/** How often the embedded server looks for abandoned uploads while it runs (ms). */
export const ABANDONED_UPLOAD_SWEEP_MS = 3600_000;

/**
 * Gives up a multipart upload as S3's AbortMultipartUpload does: its folder (parts sent, links to the
 * objects parts were copied from) removed. False when no upload of that id is under way for `key`.
 */
export async function abortMultipartUpload(
  store: UploadsStore,
  bucket: string,
  key: string,
  uploadId: string,
): Promise<boolean> {
  if (!UPLOAD_ID.test(uploadId)) return false;
  const dir = join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
  const stored = await readFile(join(dir, 'key'), 'utf8').catch(() => undefined);
  if (stored !== key) return false;
  await rm(dir, { recursive: true, force: true });
  return true;
}

const xmlError = (res: ServerResponse, status: number, code: string, message: string) => {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
  );
};

/**
 * Answers `DELETE /{bucket}/{key}?uploadId=...` (AbortMultipartUpload, which s3rver refuses with 405):
 * 204 once the upload's parts are gone, 404 NoSuchUpload when there is no such upload for that key,
 * as S3 answers. Returns false for any other request, which s3rver then takes. The request is already
 * authenticated.
 */
export function answerAbort(
  store: UploadsStore,
  bucket: string,
  req: IncomingMessage,
  res: ServerResponse,
): boolean {
  if (req.method !== 'DELETE') return false;
  const url = new URL(req.url ?? '/', 'http://s3');
  const uploadId = url.searchParams.get('uploadId');
  if (uploadId === null) return false;
  req.resume(); // no body is read
  const path = url.pathname;
  const prefix = `/${bucket}/`;
  let key: string | undefined;
  try {
    key = path.startsWith(prefix) ? decodeURIComponent(path.slice(prefix.length)) : undefined;
  } catch {
    key = undefined;
  }
  if (!key) {
    xmlError(res, 404, 'NoSuchUpload', 'The specified upload does not exist.');
    return true;
  }
  abortMultipartUpload(store, bucket, key, uploadId).then(
    (aborted) => {
      if (!aborted) return xmlError(res, 404, 'NoSuchUpload', 'The specified upload does not exist.');
      res.writeHead(204);
      res.end();
    },
    (err: Error) => xmlError(res, 500, 'InternalError', err.message.replace(/[<>&]/g, '')),
  );
  return true;
}

/**
 * Removes the multipart uploads under `uploadsDir` (s3rver's uploads folder of a bucket) that nobody
 * completed or aborted: those whose folder and every file in it have been unchanged (ctime) for
 * `olderThanMs`. A part being received changes its file all the while, so an upload under way is
 * never taken. Returns the files removed and their bytes (a part linked to an object counts its size,
 * though the object keeps the blocks).
 */
export async function removeAbandonedUploads(
  uploadsDir: string,
  olderThanMs = ABANDONED_UPLOAD_AGE_MS,
): Promise<LeftoversRemoved> {
  const removed: LeftoversRemoved = { files: 0, bytes: 0 };
  const before = Date.now() - olderThanMs;
  const uploads = await readdir(uploadsDir, { withFileTypes: true }).catch(() => []);
  for (const upload of uploads) {
    if (!upload.isDirectory() || !UPLOAD_ID.test(upload.name)) continue;
    const dir = join(uploadsDir, upload.name);
    const own = await stat(dir).catch(() => undefined);
    if (!own || own.ctimeMs > before) continue;
    const names = await readdir(dir).catch(() => undefined);
    if (!names) continue;
    let files = 0;
    let bytes = 0;
    let fresh = false;
    for (const name of names) {
      const info = await stat(join(dir, name)).catch(() => undefined);
      if (!info) continue;
      if (info.ctimeMs > before) fresh = true;
      files++;
      bytes += info.size;
    }
    if (fresh) continue;
    await rm(dir, { recursive: true, force: true });
    removed.files += files;
    removed.bytes += bytes;
  }
  return removed;
}

import { createHash } from 'node:crypto';
import type { ObjectStore } from '../storage/object-store.js';

/** Parts of a streamed model file (S3 parts are at least 5 MiB but the last). */
const PART_BYTES = 8 * 1024 * 1024;

/** Why a file was refused (an HTTP 400 or 413, with the file named). */
export class ModelFileRefused extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Streams one model file into the object store at `key` in 8 MiB parts, hashing it as it goes, and
 * keeps it only if its SHA-256 is the manifest's: otherwise the upload is aborted and refused with
 * the file named. At most 8 MiB is held in memory, whatever the file's size.
 */
export async function storeModelFile(
  store: ObjectStore,
  key: string,
  file: { name: string; sha256: string },
  body: AsyncIterable<Uint8Array>,
  maxBytes: number,
): Promise<{ bytes: number; sha256: string }> {
  const uploadId = await store.startMultipart(key, 'application/octet-stream');
  const hash = createHash('sha256');
  const parts: { partNumber: number; etag: string }[] = [];
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let bytes = 0;
  const flush = async () => {
    const part = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    const partNumber = parts.length + 1;
    parts.push({ partNumber, etag: await store.uploadPart(key, uploadId, partNumber, part) });
  };
  try {
    for await (const chunk of body) {
      bytes += chunk.byteLength;
      if (bytes > maxBytes)
        throw new ModelFileRefused(413, `file ${file.name} is larger than ${maxBytes} bytes`);
      const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      hash.update(buffer);
      pending.push(Buffer.from(buffer));
      pendingBytes += buffer.length;
      if (pendingBytes >= PART_BYTES) await flush();
    }
    const sha256 = hash.digest('hex');
    if (sha256 !== file.sha256)
      throw new ModelFileRefused(
        400,
        `file ${file.name}: SHA-256 ${sha256} (${bytes} bytes), the manifest says ${file.sha256}`,
      );
    if (pendingBytes > 0 || parts.length === 0) await flush();
    await store.completeMultipart(key, uploadId, parts);
    return { bytes, sha256 };
  } catch (err) {
    await store.abortMultipart(key, uploadId);
    throw err;
  }
}

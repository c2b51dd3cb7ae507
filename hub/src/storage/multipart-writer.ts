import { createHash } from 'node:crypto';
import type { ObjectStore } from './object-store.js';

const MIB = 1024 * 1024;
/** S3 wants every part but the last to be at least 5 MiB; 8 MiB keeps memory small and requests few. */
export const DEFAULT_PART_BYTES = 8 * MIB;

/**
 * Writes one object to the store as it is produced (an encoded video, a ZIP), holding at most one
 * part in memory: bytes are gathered to `partBytes` and sent as a multipart part, so nothing is ever
 * built whole in memory or on local disk. The SHA-256 and size are computed on the way. `abort()`
 * gives the parts up. Writes are awaited one after another: a slow store slows the producer.
 */
export class MultipartWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly parts: { partNumber: number; etag: string }[] = [];
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private chain: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  private constructor(
    private readonly store: ObjectStore,
    readonly key: string,
    private readonly uploadId: string,
    private readonly partBytes: number,
  ) {}

  static async open(
    store: ObjectStore,
    key: string,
    contentType: string,
    partBytes = DEFAULT_PART_BYTES,
  ): Promise<MultipartWriter> {
    return new MultipartWriter(store, key, await store.startMultipart(key, contentType), partBytes);
  }

  /** Bytes written so far. */
  get written(): number {
    return this.bytes;
  }

  /** Adds bytes; resolves once any whole part they complete is stored (so callers can wait on it). */
  write(chunk: Uint8Array): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.hash.update(buf);
    this.bytes += buf.length;
    this.pending.push(Buffer.from(buf)); // a copy: the caller may reuse its buffer
    this.pendingBytes += buf.length;
    if (this.pendingBytes >= this.partBytes) this.flush();
    return this.chain;
  }

  private flush(): void {
    const body = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    const partNumber = this.parts.length + 1;
    this.parts.push({ partNumber, etag: '' });
    this.chain = this.chain.then(async () => {
      if (this.failure) return;
      try {
        this.parts[partNumber - 1]!.etag = await this.store.uploadPart(
          this.key,
          this.uploadId,
          partNumber,
          body,
        );
      } catch (err) {
        this.failure = err as Error;
        throw err;
      }
    });
    this.chain.catch(() => {}); // reported by the next write or by close()
  }

  /** Stores the last part and completes the object; returns its size and SHA-256. */
  async close(): Promise<{ bytes: number; sha256: string }> {
    if (this.pendingBytes > 0 || this.parts.length === 0) this.flush();
    await this.chain;
    if (this.failure) throw this.failure;
    await this.store.completeMultipart(this.key, this.uploadId, this.parts);
    return { bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  /** Gives the upload up (after a failure or a cancel). */
  async abort(): Promise<void> {
    await this.chain.catch(() => {});
    await this.store.abortMultipart(this.key, this.uploadId);
  }
}

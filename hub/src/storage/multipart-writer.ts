import { createHash } from 'node:crypto';
import type { ObjectStore } from './object-store.js';

const MIB = 1024 * 1024;
/** S3 wants every part but the last to be at least 5 MiB; 16 MiB keeps requests (and s3rver's part files) few. */
export const DEFAULT_PART_BYTES = 16 * MIB;
/** Parts in flight at once: the producer fills the next while earlier ones travel (memory: (n + 1) parts). */
export const DEFAULT_CONCURRENCY = 3;

/**
 * Writes one object to the store as it is produced (an encoded video, a ZIP), holding a bounded
 * number of parts in memory: bytes are copied into a part buffer of `partBytes`, and each full part
 * is sent as a multipart part while the producer goes on, up to `concurrency` parts in flight; a
 * write waits only when that many are. Nothing is ever built whole in memory or on local disk. The
 * SHA-256 and size are computed on the way. `abort()` gives the parts up.
 */
export class MultipartWriter {
  private part: Buffer;
  /** Part buffers whose upload is done, used again (fresh ones cost page faults and GC each time). */
  private readonly spare: Buffer[] = [];
  private filled = 0;
  private readonly parts: { partNumber: number; etag: string }[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private failure: Error | undefined;

  private constructor(
    private readonly store: ObjectStore,
    readonly key: string,
    private readonly uploadId: string,
    private readonly partBytes: number,
    private readonly concurrency: number,
  ) {
    this.part = Buffer.allocUnsafe(partBytes);
  }

  static async open(
    store: ObjectStore,
    key: string,
    contentType: string,
    options: { partBytes?: number; concurrency?: number } = {},
  ): Promise<MultipartWriter> {
    const uploadId = await store.startMultipart(key, contentType);
    return new MultipartWriter(
      store,
      key,
      uploadId,
      options.partBytes ?? DEFAULT_PART_BYTES,
      Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY),
    );
  }

  /** Bytes written so far. */
  get written(): number {
    return this.bytes;
  }

  /**
   * Adds bytes (copied: the caller may reuse its buffer); resolves once fewer than `concurrency`
   * parts are in flight, so a slow store slows the producer rather than filling memory.
   */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.failure) throw this.failure;
    this.hash.update(chunk);
    this.bytes += chunk.byteLength;
    let from = 0;
    while (from < chunk.byteLength) {
      const n = Math.min(chunk.byteLength - from, this.partBytes - this.filled);
      this.part.set(chunk.subarray(from, from + n), this.filled);
      this.filled += n;
      from += n;
      if (this.filled === this.partBytes) await this.flush();
    }
  }

  /** Sends the part buffer as the next part, after waiting for a free slot. */
  private async flush(): Promise<void> {
    while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
    const buffer = this.part;
    const body = this.filled === this.partBytes ? buffer : buffer.subarray(0, this.filled);
    this.part = this.spare.pop() ?? Buffer.allocUnsafe(this.partBytes);
    this.filled = 0;
    const partNumber = this.parts.length + 1;
    const entry = { partNumber, etag: '' };
    this.parts.push(entry);
    const sent: Promise<void> = this.store
      .uploadPart(this.key, this.uploadId, partNumber, body)
      .then(
        (etag) => {
          entry.etag = etag;
        },
        (err: Error) => {
          this.failure ??= err; // reported by the next write or by close()
        },
      )
      .finally(() => {
        this.inFlight.delete(sent);
        this.spare.push(buffer);
      });
    this.inFlight.add(sent);
  }

  private async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Stores the last part and completes the object; returns its size and SHA-256. */
  async close(): Promise<{ bytes: number; sha256: string }> {
    if (this.failure) throw this.failure;
    if (this.filled > 0 || this.parts.length === 0) await this.flush();
    await this.settled();
    if (this.failure) throw this.failure;
    await this.store.completeMultipart(this.key, this.uploadId, this.parts);
    return { bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  /** Gives the upload up (after a failure or a cancel). */
  async abort(): Promise<void> {
    await this.settled();
    await this.store.abortMultipart(this.key, this.uploadId);
  }
}

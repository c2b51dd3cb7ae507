import { createHash } from 'node:crypto';
import type { ObjectStore } from './object-store.js';

const MIB = 1024 * 1024;
/** S3 wants every part but the last to be at least 5 MiB; 16 MiB keeps requests (and s3rver's part files) few. */
export const DEFAULT_PART_BYTES = 16 * MIB;
/** S3's least size of every part but the last. */
export const MIN_PART_BYTES = 5 * MIB;
/** Bytes of another object in one part copied on the server: few requests, each well under S3's 5 GiB. */
export const DEFAULT_COPY_PART_BYTES = 128 * MIB;
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
  /** copy() was called: close() reads the object back (copied parts never pass through `hash`). */
  private copied = false;
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

  /**
   * Appends bytes `start` up to `end` (exclusive) of the stored object `source`, copied on the server
   * (UploadPartCopy) in parts of `copyPartBytes` to twice that, so that they never travel through this
   * process. S3 wants every part but the last to be at least 5 MiB: bytes already waiting in the part
   * buffer are topped up to that from the source, read through here, and a rest under 5 MiB is read
   * through too. Parts are copied up to `concurrency` at once, like sent ones. After a copy, close()
   * reads the whole object back.
   */
  async copy(
    source: string,
    start: number,
    end: number,
    copyPartBytes = DEFAULT_COPY_PART_BYTES,
  ): Promise<void> {
    if (this.failure) throw this.failure;
    if (!(start >= 0 && end >= start))
      throw new RangeError(`cannot copy bytes ${start} to ${end} of ${source}`);
    this.copied = true;
    let at = start;
    if (this.filled > 0 && this.filled < MIN_PART_BYTES) {
      const topUp = Math.min(MIN_PART_BYTES - this.filled, end - at);
      await this.writeFrom(source, at, at + topUp);
      at += topUp;
    }
    if (end - at < MIN_PART_BYTES) return this.writeFrom(source, at, end);
    if (this.filled > 0) await this.flush();
    // As many parts as `copyPartBytes` fits whole: each then holds from it to twice it, never under 5 MiB.
    const count = Math.max(1, Math.floor((end - at) / Math.max(MIN_PART_BYTES, copyPartBytes)));
    const size = Math.ceil((end - at) / count);
    for (let i = 0; i < count; i++) {
      const first = at + i * size;
      const last = Math.min(end, first + size) - 1;
      await this.send((partNumber) =>
        this.store.copyPart(this.key, this.uploadId, partNumber, source, first, last),
      );
    }
    this.bytes += end - at;
  }

  /** Reads bytes `start` up to `end` (exclusive) of `source` through the part buffer. */
  private async writeFrom(source: string, start: number, end: number): Promise<void> {
    if (end <= start) return;
    let read = 0;
    for await (const chunk of await this.store.read(source, `bytes=${start}-${end - 1}`)) {
      await this.write(chunk as Buffer);
      read += (chunk as Buffer).length;
    }
    if (read !== end - start)
      throw new Error(`${source} gave ${read} bytes where ${end - start} were asked for`);
  }

  /** Starts the next part once a slot is free: `start` sends it and resolves with its ETag. */
  private async send(start: (partNumber: number) => Promise<string>, done?: () => void): Promise<void> {
    while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
    const partNumber = this.parts.length + 1;
    const entry = { partNumber, etag: '' };
    this.parts.push(entry);
    const sent: Promise<void> = start(partNumber)
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
        done?.();
      });
    this.inFlight.add(sent);
  }

  /** Sends the part buffer as the next part, after waiting for a free slot. */
  private async flush(): Promise<void> {
    while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
    const buffer = this.part;
    const body = this.filled === this.partBytes ? buffer : buffer.subarray(0, this.filled);
    this.part = this.spare.pop() ?? Buffer.allocUnsafe(this.partBytes);
    this.filled = 0;
    await this.send(
      (partNumber) => this.store.uploadPart(this.key, this.uploadId, partNumber, body),
      () => this.spare.push(buffer),
    );
  }

  private async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /**
   * Stores the last part and completes the object; returns its size and SHA-256. After copy(), the
   * object is read back whole for its SHA-256 (parts copied on the server never came through here),
   * and `observe` sees each chunk read with its offset, so that a caller can check what was copied.
   */
  async close(observe?: (chunk: Buffer, offset: number) => void): Promise<{ bytes: number; sha256: string }> {
    if (this.failure) throw this.failure;
    if (this.filled > 0 || this.parts.length === 0) await this.flush();
    await this.settled();
    if (this.failure) throw this.failure;
    await this.store.completeMultipart(this.key, this.uploadId, this.parts);
    if (!this.copied) return { bytes: this.bytes, sha256: this.hash.digest('hex') };
    const hash = createHash('sha256');
    let offset = 0;
    for await (const chunk of await this.store.read(this.key)) {
      hash.update(chunk as Buffer);
      observe?.(chunk as Buffer, offset);
      offset += (chunk as Buffer).length;
    }
    if (offset !== this.bytes)
      throw new Error(`${this.key} read back as ${offset} bytes; ${this.bytes} were written and copied`);
    return { bytes: offset, sha256: hash.digest('hex') };
  }

  /** Gives the upload up (after a failure or a cancel). */
  async abort(): Promise<void> {
    await this.settled();
    await this.store.abortMultipart(this.key, this.uploadId);
  }
}

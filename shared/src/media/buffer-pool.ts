/**
 * Buffers of one size, given back once their contents are no longer needed and handed out again: for
 * a reader that makes many large frames of which only a few live at once (the hub's batch: each 720p
 * RGB frame is 2.8 MB). A new buffer a frame kept the garbage collector on full collections, for the
 * external memory alone.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];

  /**
   * @param bytes the size of every buffer
   * @param keep most buffers held while free (those given back beyond it are left to the collector)
   */
  constructor(
    readonly bytes: number,
    private readonly keep: number,
  ) {
    if (!Number.isInteger(bytes) || bytes < 1) throw new RangeError(`buffer size must be >= 1, got ${bytes}`);
    if (!Number.isInteger(keep) || keep < 0) throw new RangeError(`buffers kept must be >= 0, got ${keep}`);
  }

  /** A free buffer (its contents are what its last user left), or a new one. */
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.bytes);
  }

  /**
   * Gives back a buffer taken from this pool (or the same memory, passed through a worker and back):
   * the caller no longer uses it. Memory of another size, or a view into a larger buffer, is ignored.
   */
  give(data: Uint8Array): void {
    if (data.byteLength !== this.bytes || data.byteOffset !== 0 || data.buffer.byteLength !== this.bytes)
      return;
    if (this.free.length >= this.keep) return;
    this.free.push(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, 0, this.bytes));
  }

  /** Buffers free now. */
  get size(): number {
    return this.free.length;
  }
}

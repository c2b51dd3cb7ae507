/**
 * The bounded queue between decoding and the engine: items are gathered into batches of `size`, and
 * each full batch is handed to `work` without waiting for it, so the producer (the decoder) keeps
 * going while earlier batches are analysed. At most `depth` batches are at work at once; `push` waits
 * for the oldest while that many are, which holds the decoder back (its appsink blocks in turn): memory
 * stays at `depth + 1` batches however far the engine falls behind. A failed batch's error is thrown by
 * the `push` or `finish` that waits for it.
 */
export class BoundedBatches<T> {
  private filling: T[] = [];
  private readonly atWork: Promise<void>[] = [];

  constructor(
    private readonly size: number,
    private readonly depth: number,
    private readonly work: (items: T[]) => Promise<void>,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be >= 1, got ${size}`);
    if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`depth must be >= 1, got ${depth}`);
  }

  /** Adds an item; hands its batch to `work` once full (after waiting for room). */
  async push(item: T): Promise<void> {
    this.filling.push(item);
    if (this.filling.length >= this.size) await this.handOver();
  }

  /** Hands over the last, partial batch and waits until every batch is done. */
  async finish(): Promise<void> {
    await this.handOver();
    while (this.atWork.length > 0) await this.atWork.shift();
  }

  /** Waits for batches at work to end, their errors ignored (the caller is failing already). */
  async settle(): Promise<void> {
    this.filling = [];
    await Promise.allSettled(this.atWork.splice(0));
  }

  private async handOver(): Promise<void> {
    if (this.filling.length === 0) return;
    while (this.atWork.length >= this.depth) await this.atWork.shift();
    const items = this.filling;
    this.filling = [];
    const working = this.work(items);
    working.catch(() => {}); // thrown where it is awaited (push, finish), or dropped by settle
    this.atWork.push(working);
  }
}

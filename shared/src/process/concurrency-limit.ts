/** Thrown by ConcurrencyLimit.run when too many already wait: the caller should answer "busy, retry". */
export class BusyError extends Error {
  constructor(readonly waiting: number) {
    super(`busy: ${waiting} requests are already waiting`);
    this.name = 'BusyError';
  }
}

/**
 * Runs at most `max` jobs at once; the rest wait in order, up to `maxWaiting`, beyond which `run`
 * rejects at once with BusyError. Keeps CPU-heavy work (decoding a 12-megapixel photo, say) from
 * being started all at once, where every job would crawl and time out together.
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(
    private readonly max: number,
    private readonly maxWaiting: number,
  ) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`max must be a whole number >= 1, got ${max}`);
  }

  /** Jobs running and waiting now. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.queue.length };
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) {
      if (this.queue.length >= this.maxWaiting) throw new BusyError(this.queue.length);
      await new Promise<void>((resolve) => this.queue.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await job();
    } finally {
      // Hand the slot straight to the next in line, or free it.
      const next = this.queue.shift();
      if (next) next();
      else this.running--;
    }
  }
}

import type { Logger } from '../logging/logger.js';

/**
 * The parts a composition root started, in order, so that `stop()` can undo them in reverse
 * (as Frigate's ordered start and stop): each part is stopped even if an earlier stop failed, or
 * did not finish within `partTimeoutMs` (logged with the part's name: a shutdown that hangs on one
 * part would otherwise never release the others). A part slower than 5 s is logged too.
 */
export class Lifecycle {
  private readonly parts: { name: string; stop: () => Promise<void> | void }[] = [];

  constructor(
    private readonly log: Logger,
    private readonly partTimeoutMs = 45_000,
  ) {}

  /** Records a started part and how to stop it. */
  add(name: string, stop: () => Promise<void> | void): void {
    this.parts.push({ name, stop });
  }

  /** Stops every part in reverse order of start, logging each. */
  async stop(): Promise<void> {
    for (const part of this.parts.reverse()) {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        const outcome = await Promise.race([
          Promise.resolve(part.stop()).then(() => 'stopped' as const),
          new Promise<'timed out'>((resolve) => {
            timer = setTimeout(() => resolve('timed out'), this.partTimeoutMs);
          }),
        ]);
        const ms = Math.round(performance.now() - started);
        if (outcome === 'timed out')
          this.log.error({ part: part.name, ms }, 'stop did not finish in time; going on with the others');
        else if (ms > 5000) this.log.warn({ part: part.name, ms }, 'stopped, slowly');
        else this.log.info({ part: part.name }, 'stopped');
      } catch (err) {
        this.log.error({ part: part.name, err }, 'stop failed');
      } finally {
        clearTimeout(timer);
      }
    }
    this.parts.length = 0;
  }
}

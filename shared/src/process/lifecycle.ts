import type { Logger } from '../logging/logger.js';

/**
 * The parts a composition root started, in order, so that `stop()` can undo them in reverse
 * (as Frigate's ordered start and stop): each part is stopped even if an earlier stop failed.
 */
export class Lifecycle {
  private readonly parts: { name: string; stop: () => Promise<void> | void }[] = [];

  constructor(private readonly log: Logger) {}

  /** Records a started part and how to stop it. */
  add(name: string, stop: () => Promise<void> | void): void {
    this.parts.push({ name, stop });
  }

  /** Stops every part in reverse order of start, logging each. */
  async stop(): Promise<void> {
    for (const part of this.parts.reverse()) {
      try {
        await part.stop();
        this.log.info({ part: part.name }, 'stopped');
      } catch (err) {
        this.log.error({ part: part.name, err }, 'stop failed');
      }
    }
    this.parts.length = 0;
  }
}

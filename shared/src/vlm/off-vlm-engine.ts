import { type VlmEngine, type VlmStatus, VlmUnavailableError } from './vlm-engine.js';

/** An engine that is always off, with its reason. */
export class OffVlmEngine implements VlmEngine {
  constructor(private readonly reason: string) {}
  status(): VlmStatus {
    return { state: 'off', reason: this.reason };
  }
  // biome-ignore lint/correctness/useYield: it refuses before its first chunk
  async *generate(): AsyncGenerator<never, never, void> {
    throw new VlmUnavailableError(this.reason);
  }
  async close(): Promise<void> {}
}

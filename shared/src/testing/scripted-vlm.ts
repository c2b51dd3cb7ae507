import {
  type VlmChunk,
  type VlmDone,
  type VlmEngine,
  type VlmRequest,
  type VlmStatus,
  VlmUnavailableError,
} from '../vlm/vlm-engine.js';

export interface ScriptedVlmOptions {
  /** What status() says; default ready. */
  status?: VlmStatus;
  /** Characters per streamed chunk (default 8), so callers see more than one chunk. */
  chunkChars?: number;
}

/**
 * A VLM engine whose answers a test scripts as a function of the request, for the chat's logic
 * tests: it records every request it receives, so a test can check what the model was shown.
 * (Minimal version; helper 12a's engine work brings the one that passes the engines' contract test.)
 */
export class ScriptedVlmEngine implements VlmEngine {
  /** Every request generate() received, in order. */
  readonly requests: VlmRequest[] = [];
  private readonly state: VlmStatus;
  private readonly chunkChars: number;

  constructor(
    private readonly answer: (req: VlmRequest) => string | Promise<string>,
    opts: ScriptedVlmOptions = {},
  ) {
    this.state = opts.status ?? { state: 'ready', backend: 'openai', model: 'scripted' };
    this.chunkChars = opts.chunkChars ?? 8;
  }

  status(): VlmStatus {
    return this.state;
  }

  async *generate(req: VlmRequest): AsyncGenerator<VlmChunk, VlmDone, void> {
    if (this.state.state === 'off') throw new VlmUnavailableError(this.state.reason);
    this.requests.push(req);
    const started = performance.now();
    const text = await this.answer(req);
    let firstTokenMs: number | null = null;
    let tokens = 0;
    for (let i = 0; i < text.length; i += this.chunkChars) {
      if (req.signal?.aborted)
        return { reason: 'cancelled', tokens, firstTokenMs, totalMs: performance.now() - started };
      firstTokenMs ??= performance.now() - started;
      tokens++;
      yield { text: text.slice(i, i + this.chunkChars) };
    }
    return { reason: 'stop', tokens, firstTokenMs, totalMs: performance.now() - started };
  }

  async close(): Promise<void> {}
}

/**
 * A VlmEngine whose answers are scripted by a function of the request, for tests of what uses the
 * engine (the chat, frame analysis). It keeps the same contract as the real backends (the same
 * bounded queue, soft stop, hard limit, VlmDone timing; the shared contract test runs against it):
 * the answer streams word by word, one "token" per word, `tokenDelayMs` apart.
 */
import { DEFAULT_MAX_NEW_TOKENS, GenerationQueue, queuedGeneration } from '../vlm/generation.js';
import type { VlmChunk, VlmDone, VlmEngine, VlmRequest, VlmStatus } from '../vlm/vlm-engine.js';

/** Options of ScriptedVlmEngine. */
export interface ScriptedVlmOptions {
  /** Pause before each token, ms. Default 0 (still one macrotask per token, so cancels land). */
  tokenDelayMs?: number;
  /** Requests allowed to wait behind the running one before VlmBusyError. Default 2. */
  maxWaiting?: number;
  /** Model name in status(). Default 'scripted'. */
  model?: string;
  /** Backend named in status(). Default 'onnx'. */
  backend?: 'onnx' | 'openai';
  /** Start 'off' with this reason. */
  offReason?: string;
}

/** The answer split into tokens: words with the spaces that follow them. */
export function scriptedTokens(answer: string): string[] {
  return answer.match(/\S+\s*|\s+/g) ?? [];
}

/** A VlmEngine answering `answer(req)`, streamed word by word. */
export class ScriptedVlmEngine implements VlmEngine {
  /** Every request, in the order generate() was called. */
  readonly requests: VlmRequest[] = [];
  private readonly queue: GenerationQueue;
  private offReason: string | null;
  private closed = false;

  constructor(
    private readonly answer: (req: VlmRequest) => string | Promise<string>,
    private readonly opts: ScriptedVlmOptions = {},
  ) {
    this.queue = new GenerationQueue(opts.maxWaiting ?? 2);
    this.offReason = opts.offReason ?? null;
  }

  /** Turns the engine off (with the reason) or back on (null). */
  setOff(reason: string | null): void {
    this.offReason = reason;
  }

  status(): VlmStatus {
    if (this.offReason !== null) return { state: 'off', reason: this.offReason };
    return { state: 'ready', backend: this.opts.backend ?? 'onnx', model: this.opts.model ?? 'scripted' };
  }

  generate(req: VlmRequest): AsyncGenerator<VlmChunk, VlmDone, void> {
    this.requests.push(req);
    return queuedGeneration(
      this.queue,
      req,
      async (r, ctl, emit) => {
        const tokens = scriptedTokens(await this.answer(r));
        const max = r.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
        let n = 0;
        for (const token of tokens) {
          if (n >= max) return { reason: 'length', tokens: n };
          await new Promise((resolve) => setTimeout(resolve, this.opts.tokenDelayMs ?? 0));
          if (ctl.hard.aborted) throw ctl.hard.reason;
          if (ctl.soft.aborted) return { reason: 'cancelled', tokens: n };
          emit(token);
          n++;
        }
        return { reason: 'stop', tokens: n };
      },
      () => (this.closed ? 'VLM engine closed' : this.offReason),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

import { join } from 'node:path';
import { ModelUnavailableError, readManifest, resolveModel } from '@gic/shared/analysis/model-manifest.js';
import { loadTextRecogniser, type TextRecogniser } from '@gic/shared/analysis/privacy/text-recogniser.js';
import type { Logger } from '@gic/shared/logging/logger.js';

/** Threads of the chat's own recogniser: it reads a few lines per question, beside the live video's models. */
const CHAT_RECOGNISER_THREADS = 2;

/**
 * The chat's own text recogniser, a second small onnxruntime session loaded on the first question
 * (not at start-up: a room that never asks pays nothing) on the CPU, so it never queues behind the
 * live video's models. A recogniser that cannot load is off for the process's life, with the reason
 * logged once: the chat then gets no on-screen text.
 */
export class ChatTextRecogniser {
  private loading: Promise<TextRecogniser | undefined> | undefined;
  private offReason: string | null = null;

  constructor(
    private readonly load: () => Promise<TextRecogniser>,
    private readonly log?: Logger,
  ) {}

  /** The recogniser, loaded once; undefined while off. */
  get(): Promise<TextRecogniser | undefined> {
    this.loading ??= this.load().then(
      (recogniser) => {
        this.log?.info({ model: recogniser.ref.id }, 'chat text recogniser loaded');
        return recogniser;
      },
      (err: unknown) => {
        this.offReason = err instanceof Error ? err.message : String(err);
        this.log?.warn(
          { reason: this.offReason },
          'chat text recogniser off; the chat gets no on-screen text',
        );
        return undefined;
      },
    );
    return this.loading;
  }

  /** Why it is off, once a load failed; null otherwise. */
  get off(): string | null {
    return this.offReason;
  }

  async close(): Promise<void> {
    const recogniser = await this.loading;
    await recogniser?.close();
  }
}

/**
 * The first configured model (GIC_MODELS) whose manifest is a text recogniser, loaded from
 * `modelsDir` when first asked for. None configured: off with that reason.
 */
export function chatTextRecogniser(
  modelsDir: string,
  modelIds: readonly string[],
  log?: Logger,
): ChatTextRecogniser {
  return new ChatTextRecogniser(async () => {
    const id = modelIds.find((m) => {
      try {
        return readManifest(join(modelsDir, `${m}.json`)).task === 'text-recognition';
      } catch {
        return false;
      }
    });
    if (!id)
      throw new ModelUnavailableError('text-recognition', 'no text recogniser is configured (GIC_MODELS)');
    return loadTextRecogniser(
      await resolveModel(join(modelsDir, `${id}.json`)),
      ['cpu'],
      CHAT_RECOGNISER_THREADS,
    );
  }, log);
}

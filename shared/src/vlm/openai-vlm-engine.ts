/**
 * The VLM through any OpenAI-compatible server (llama.cpp's llama-server, vLLM, Ollama, LM Studio):
 * `POST {baseUrl}/v1/chat/completions` with `stream: true`, images as JPEG data URLs, the answer read
 * from the server-sent events. For boxes where such a server runs faster than onnxruntime-node (a
 * Jetson, where onnxruntime-node has no CUDA build). An unreachable server is 'off' with the reason;
 * the engine probes it again (GET /v1/models) before a request and every `reprobeMs` while off.
 */
import { encodeJpeg } from '../media/encode-jpeg.js';
import { type Backend, DEFAULT_MAX_NEW_TOKENS, GenerationQueue, queuedGeneration } from './generation.js';
import {
  type VlmChunk,
  type VlmDone,
  type VlmEngine,
  type VlmImage,
  type VlmMessage,
  type VlmRequest,
  type VlmStatus,
  VlmUnavailableError,
} from './vlm-engine.js';

/** Options of OpenAiVlmEngine. */
export interface OpenAiVlmOptions {
  /** The server's root, with or without the trailing /v1 (http://127.0.0.1:8080, http://host:11434/v1). */
  baseUrl: string;
  /** The model name the server knows (e.g. 'medgemma-4b-it', or Ollama's tag). */
  model: string;
  /** Sent as `Authorization: Bearer ...` when given (read it from the environment, never from a file in the repo). */
  apiKey?: string;
  /** Requests allowed to wait behind the running ones before VlmBusyError. Default 2. */
  maxWaiting?: number;
  /** Requests sent to the server at once. Default 1. */
  concurrency?: number;
  /** Limit of a probe (GET /v1/models), ms. Default 2000. */
  probeTimeoutMs?: number;
  /** How often an 'off' engine probes again in the background, ms; 0 never. Default 30000. */
  reprobeMs?: number;
  /** JPEG quality of images sent to the server. Default 90. */
  jpegQuality?: number;
}

type OpenAiContent =
  | string
  | ({ type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } })[];

/** The API root ending in /v1. */
export function apiRoot(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, '');
  return trimmed.endsWith('/v1') ? trimmed : `${trimmed}/v1`;
}

/** An RGB frame as a JPEG data URL (the project's GStreamer JPEG encoder). */
export async function imageDataUrl(image: VlmImage, quality = 90): Promise<string> {
  const { width, height, rgb } = image;
  const jpeg = await encodeJpeg(
    { data: rgb, width, height, stride: width * 3, index: 0, ptsMs: 0 },
    { quality },
  );
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}

async function toOpenAiMessages(messages: readonly VlmMessage[], quality: number) {
  return Promise.all(
    messages.map(async (m): Promise<{ role: string; content: OpenAiContent }> => {
      if (!m.image || m.role !== 'user') return { role: m.role, content: m.content };
      return {
        role: m.role,
        content: [
          { type: 'image_url', image_url: { url: await imageDataUrl(m.image, quality) } },
          { type: 'text', text: m.content },
        ],
      };
    }),
  );
}

/** Reads `data:` payloads from a server-sent event stream. */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = body.getReader();
  for (;;) {
    const { value: bytes, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(bytes, { stream: true });
    for (let end = buffer.search(/\r?\n\r?\n/); end >= 0; end = buffer.search(/\r?\n\r?\n/)) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      const data = event
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''))
        .join('\n');
      if (data) yield data;
    }
  }
}

interface StreamChunk {
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: { completion_tokens?: number } | null;
  error?: { message?: string };
}

/** A VlmEngine on an OpenAI-compatible chat completions server. */
export class OpenAiVlmEngine implements VlmEngine {
  private readonly queue: GenerationQueue;
  private readonly root: string;
  private offReason: string | null = null;
  private probing: Promise<void> | undefined;
  private reprobe: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: OpenAiVlmOptions) {
    this.root = apiRoot(opts.baseUrl);
    this.queue = new GenerationQueue(opts.maxWaiting ?? 2, opts.concurrency ?? 1);
  }

  status(): VlmStatus {
    if (this.offReason !== null) return { state: 'off', reason: this.offReason };
    return { state: 'ready', backend: 'openai', model: this.opts.model };
  }

  /** Probes the server (GET /v1/models); resolves with the status. */
  async start(): Promise<VlmStatus> {
    await this.probe();
    return this.status();
  }

  generate(req: VlmRequest): AsyncGenerator<VlmChunk, VlmDone, void> {
    const self = this;
    return (async function* () {
      // An engine that is off asks the server again before it refuses.
      if (self.offReason !== null && !self.closed) await self.probe();
      return yield* queuedGeneration(self.queue, req, self.backend, () =>
        self.closed ? 'VLM engine closed' : self.offReason,
      );
    })();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.reprobe);
  }

  private headers(): Record<string, string> {
    return {
      'content-type': 'application/json',
      ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}),
    };
  }

  private probe(): Promise<void> {
    this.probing ??= (async () => {
      try {
        const res = await fetch(`${this.root}/models`, {
          headers: this.headers(),
          signal: AbortSignal.timeout(this.opts.probeTimeoutMs ?? 2000),
        });
        await res.body?.cancel();
        if (!res.ok)
          this.setOff(`OpenAI-compatible server at ${this.root} answered HTTP ${res.status} to GET /models`);
        else this.setOff(null);
      } catch (err) {
        this.setOff(`OpenAI-compatible server at ${this.root} unreachable: ${describe(err)}`);
      } finally {
        this.probing = undefined;
      }
    })();
    return this.probing;
  }

  private setOff(reason: string | null): void {
    this.offReason = reason;
    const every = this.opts.reprobeMs ?? 30_000;
    if (reason === null || this.closed || every <= 0) {
      clearInterval(this.reprobe);
      this.reprobe = undefined;
    } else if (!this.reprobe) {
      this.reprobe = setInterval(() => void this.probe(), every).unref();
    }
  }

  private readonly backend: Backend = async (req, ctl, emit) => {
    if (ctl.soft.aborted) return { reason: 'cancelled', tokens: 0 };
    const stop = new AbortController();
    const onStop = () => stop.abort();
    ctl.soft.addEventListener('abort', onStop, { once: true });
    ctl.hard.addEventListener('abort', onStop, { once: true });
    let tokens = 0;
    let usage: number | undefined;
    let finish: string | null | undefined;
    try {
      const body = JSON.stringify({
        model: this.opts.model,
        messages: await toOpenAiMessages(req.messages, this.opts.jpegQuality ?? 90),
        max_tokens: req.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS,
        stream: true,
        stream_options: { include_usage: true },
      });
      let res: Response;
      try {
        res = await fetch(`${this.root}/chat/completions`, {
          method: 'POST',
          headers: this.headers(),
          body,
          signal: stop.signal,
        });
      } catch (err) {
        if (stop.signal.aborted) throw err;
        this.setOff(`OpenAI-compatible server at ${this.root} unreachable: ${describe(err)}`);
        throw new VlmUnavailableError(this.offReason ?? 'VLM server unreachable');
      }
      if (!res.ok || !res.body) {
        const text = (await res.text().catch(() => '')).slice(0, 300);
        throw new Error(`VLM server answered HTTP ${res.status}: ${text}`);
      }
      for await (const data of sseData(res.body)) {
        if (data.trim() === '[DONE]') break;
        const chunk = JSON.parse(data) as StreamChunk;
        if (chunk.error)
          throw new Error(`VLM server error: ${chunk.error.message ?? JSON.stringify(chunk.error)}`);
        const choice = chunk.choices?.[0];
        const text = choice?.delta?.content;
        if (text) {
          tokens++;
          emit(text);
        }
        if (choice?.finish_reason) finish = choice.finish_reason;
        if (chunk.usage?.completion_tokens !== undefined) usage = chunk.usage.completion_tokens;
      }
    } catch (err) {
      if (ctl.hard.aborted) throw ctl.hard.reason;
      if (ctl.soft.aborted) return { reason: 'cancelled', tokens };
      throw err;
    } finally {
      ctl.soft.removeEventListener('abort', onStop);
      ctl.hard.removeEventListener('abort', onStop);
    }
    if (ctl.soft.aborted) return { reason: 'cancelled', tokens };
    return { reason: finish === 'length' ? 'length' : 'stop', tokens: usage ?? tokens };
  };
}

function describe(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

/**
 * The VLM's own process (see onnx-vlm-engine.ts): loads a Gemma 3 ONNX export through
 * `@huggingface/transformers` from disk only, then generates one request at a time, streaming text
 * back. A cancel message interrupts at the next token (transformers.js's generate() takes no
 * AbortSignal); the parent enforces its hard limit by killing this process, which is the only way to
 * stop a step that is under way.
 */

import { getPriority, setPriority } from 'node:os';
import { toGemmaTurns } from './gemma-prompt.js';
import type { VlmImage, VlmMessage } from './vlm-engine.js';

/** transformers.js dtypes this engine accepts, per graph or for all. */
export type VlmDtype = 'fp32' | 'fp16' | 'q4' | 'q4f16' | 'q8' | 'int8' | 'uint8';
export type VlmDtypeSetting =
  | VlmDtype
  | Partial<Record<'embed_tokens' | 'vision_encoder' | 'decoder_model_merged', VlmDtype>>;

/** What the parent passes in argv[2], as JSON. */
export interface VlmChildConfig {
  modelDir: string;
  dtype: VlmDtypeSetting;
  device: 'cpu' | 'cuda';
  /** Nice value of this process (threads started later inherit it), so generation yields the CPU to the live video. */
  nice: number;
}

export type VlmChildRequest =
  | { kind: 'generate'; id: number; messages: VlmMessage[]; maxNewTokens: number }
  | { kind: 'cancel'; id: number };

export type VlmChildReply =
  | { kind: 'ready'; loadMs: number }
  | { kind: 'load-error'; message: string }
  | { kind: 'chunk'; id: number; text: string }
  | { kind: 'done'; id: number; reason: 'stop' | 'length' | 'cancelled'; tokens: number }
  | { kind: 'error'; id: number; message: string };

const send = (reply: VlmChildReply) => process.send?.(reply);
const config = JSON.parse(process.argv[2] ?? '{}') as VlmChildConfig;
if (!process.send) throw new Error('onnx-vlm-child.js runs as a child process of OnnxVlmEngine');

if (config.nice) {
  try {
    // Before onnxruntime and libuv start their threads, so they inherit it (Linux keeps nice per thread).
    // Only ever lower the priority: a caller already running nicer keeps its own value.
    setPriority(0, Math.max(config.nice, getPriority(0)));
  } catch {
    // Not permitted here: the same priority as the caller.
  }
}
const t0 = performance.now();
const tf = await import('@huggingface/transformers');
tf.env.allowRemoteModels = false;
tf.env.allowLocalModels = true;
let processor: Awaited<ReturnType<typeof tf.AutoProcessor.from_pretrained>>;
let model: Awaited<ReturnType<typeof tf.Gemma3ForConditionalGeneration.from_pretrained>>;
try {
  // The graphs first: a broken or missing graph fails in a second, before the tokenizer's few seconds.
  model = await tf.Gemma3ForConditionalGeneration.from_pretrained(config.modelDir, {
    local_files_only: true,
    dtype: config.dtype,
    device: config.device,
  });
  processor = await tf.AutoProcessor.from_pretrained(config.modelDir, { local_files_only: true });
} catch (err) {
  send({ kind: 'load-error', message: (err as Error).message });
  process.exit(1);
}
const configured =
  (model.generation_config as { eos_token_id?: number | number[] } | null)?.eos_token_id ??
  (model.config as { eos_token_id?: number | number[] }).eos_token_id ??
  [];
const eos = new Set<bigint>([configured].flat().map((x) => BigInt(x)));

const cancels = new Map<number, InstanceType<typeof tf.InterruptableStoppingCriteria>>();
const queue: Extract<VlmChildRequest, { kind: 'generate' }>[] = [];
let busy = false;

function toRawImage(image: VlmImage) {
  const { width, height, rgb } = image;
  return new tf.RawImage(
    new Uint8ClampedArray(rgb.buffer, rgb.byteOffset, width * height * 3),
    width,
    height,
    3,
  );
}

async function generate(req: Extract<VlmChildRequest, { kind: 'generate' }>): Promise<void> {
  const stop = cancels.get(req.id) ?? new tf.InterruptableStoppingCriteria();
  cancels.set(req.id, stop);
  try {
    const { turns, images } = toGemmaTurns(req.messages);
    const prompt = processor.apply_chat_template(turns as never, { add_generation_prompt: true }) as string;
    // The chat template already starts with <bos>: the tokenizer must not add another.
    const inputs = await processor(prompt, images.length > 0 ? images.map(toRawImage) : null, {
      add_special_tokens: false,
    });
    let tokens = 0;
    let last: bigint | undefined;
    const streamer = new tf.TextStreamer(processor.tokenizer!, {
      skip_prompt: true,
      skip_special_tokens: true,
      callback_function: (text: string) => send({ kind: 'chunk', id: req.id, text }),
      token_callback_function: (ids: bigint[]) => {
        tokens += ids.length;
        last = ids.at(-1);
      },
    });
    if (!stop.interrupted) {
      await model.generate({
        ...inputs,
        max_new_tokens: req.maxNewTokens,
        do_sample: false,
        streamer,
        stopping_criteria: [stop] as never,
      });
    }
    const reason = stop.interrupted
      ? 'cancelled'
      : last !== undefined && eos.has(last)
        ? 'stop'
        : tokens >= req.maxNewTokens
          ? 'length'
          : 'stop';
    send({ kind: 'done', id: req.id, reason, tokens });
  } catch (err) {
    send({ kind: 'error', id: req.id, message: (err as Error).message });
  } finally {
    cancels.delete(req.id);
  }
}

async function drain(): Promise<void> {
  if (busy) return;
  busy = true;
  for (let next = queue.shift(); next; next = queue.shift()) await generate(next);
  busy = false;
}

process.on('message', (msg: VlmChildRequest) => {
  if (msg.kind === 'generate') {
    queue.push(msg);
    void drain();
  } else if (msg.kind === 'cancel') {
    const stop = cancels.get(msg.id) ?? new tf.InterruptableStoppingCriteria();
    stop.interrupt();
    cancels.set(msg.id, stop);
  }
});
// The parent gone: nothing left to answer.
process.on('disconnect', () => process.exit(0));
send({ kind: 'ready', loadMs: Math.round(performance.now() - t0) });

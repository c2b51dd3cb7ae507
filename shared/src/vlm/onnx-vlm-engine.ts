/**
 * MedGemma (or any Gemma 3 ONNX export for transformers.js) on onnxruntime-node, in a child process
 * of its own: loading and every generation step run there, never in the caller's process (the live
 * pipeline's), and a generation past its hard limit is stopped by killing that process (a worker
 * thread cannot be stopped mid-step without taking the whole process down). The next request starts
 * a fresh child, which loads the model again. Loading never reaches the internet.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Backend, DEFAULT_MAX_NEW_TOKENS, GenerationQueue, queuedGeneration } from './generation.js';
import type {
  VlmChildConfig,
  VlmChildReply,
  VlmChildRequest,
  VlmDtype,
  VlmDtypeSetting,
} from './onnx-vlm-child.js';
import type { VlmChunk, VlmDone, VlmEngine, VlmRequest, VlmStatus } from './vlm-engine.js';

export type { VlmDtype, VlmDtypeSetting } from './onnx-vlm-child.js';

/** Options of OnnxVlmEngine. */
export interface OnnxVlmOptions {
  /** A transformers.js model folder: config.json, tokenizer, processor configs, chat template, onnx/. */
  modelDir: string;
  /** Which ONNX variant: 'q4' (decoder_model_merged_q4.onnx...), 'fp16', 'fp32', or one per graph. */
  dtype: VlmDtypeSetting;
  /** onnxruntime execution provider ('cuda' needs onnxruntime-node's CUDA build). Default 'cpu'. */
  device?: 'cpu' | 'cuda';
  /** Name reported in status(); the folder's name unless given. */
  model?: string;
  /** Nice value of the child process (0..19): 10 by default, so the live video's threads come first. */
  nice?: number;
  /** Requests allowed to wait behind the running one before VlmBusyError. Default 2. */
  maxWaiting?: number;
  /** Called with the child's stderr lines and lifecycle notes. */
  onLog?: (line: string) => void;
}

const GRAPHS = ['embed_tokens', 'vision_encoder', 'decoder_model_merged'] as const;
const SUFFIX: Record<VlmDtype, string> = {
  fp32: '',
  fp16: '_fp16',
  q4: '_q4',
  q4f16: '_q4f16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
};
/** Files a Gemma 3 folder needs besides the graphs; without processor_class, images are silently dropped. */
const CONFIG_FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'chat_template.jinja',
  'processor_config.json',
  'preprocessor_config.json',
];

/** The files `modelDir` must hold for `dtype`, relative to it. */
export function requiredModelFiles(dtype: VlmDtypeSetting): string[] {
  const graphs = GRAPHS.map((g) => {
    const d = typeof dtype === 'string' ? dtype : (dtype[g] ?? 'fp32');
    return `onnx/${g}${SUFFIX[d]}.onnx`;
  });
  return [...CONFIG_FILES, ...graphs];
}

/** The child script, from dist/ when this module runs from the TypeScript sources (tests). */
function childScript(): string {
  const here = fileURLToPath(new URL('./onnx-vlm-child.js', import.meta.url));
  if (existsSync(here)) return here;
  return here.replace(`${join('shared', 'src', 'vlm')}`, join('shared', 'dist', 'vlm'));
}

interface Run {
  emit: (text: string) => void;
  resolve: (end: { reason: VlmDone['reason']; tokens: number }) => void;
  reject: (err: Error) => void;
}

interface Child {
  proc: ChildProcess;
  ready: Promise<void>;
  /** The model has loaded. */
  loaded: boolean;
  runs: Map<number, Run>;
}

/** A VlmEngine on a local ONNX export, generation in a child process. */
export class OnnxVlmEngine implements VlmEngine {
  private readonly queue: GenerationQueue;
  private child: Child | undefined;
  private offReason: string | null;
  private nextId = 1;
  private closed = false;
  /** Times the child process was started (the first load included). */
  starts = 0;
  /** The last load's duration in the child, ms. */
  lastLoadMs: number | null = null;

  constructor(private readonly opts: OnnxVlmOptions) {
    this.queue = new GenerationQueue(opts.maxWaiting ?? 2);
    const missing = requiredModelFiles(opts.dtype).filter((f) => !existsSync(join(opts.modelDir, f)));
    this.offReason =
      missing.length > 0
        ? `VLM model not installed: ${opts.modelDir} lacks ${missing.join(', ')} (see README, "The copilot's model")`
        : null;
  }

  status(): VlmStatus {
    if (this.offReason !== null) return { state: 'off', reason: this.offReason };
    return { state: 'ready', backend: 'onnx', model: this.opts.model ?? basename(this.opts.modelDir) };
  }

  /** Process id of the running child, if one runs. */
  get childPid(): number | undefined {
    return this.child?.proc.pid;
  }

  /** Generations running and waiting. */
  get load(): { running: number; waiting: number } {
    return this.queue.load;
  }

  /** Starts the child and loads the model now rather than at the first request; resolves with the status. */
  async start(): Promise<VlmStatus> {
    if (this.offReason === null) await (this.child ?? this.spawn()).ready.catch(() => undefined);
    return this.status();
  }

  generate(req: VlmRequest): AsyncGenerator<VlmChunk, VlmDone, void> {
    return queuedGeneration(this.queue, req, this.backend, () =>
      this.closed ? 'VLM engine closed' : this.offReason,
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    const exited = new Promise<void>((resolve) => {
      if (child.proc.exitCode !== null || child.proc.signalCode !== null) resolve();
      else child.proc.once('exit', () => resolve());
    });
    child.proc.kill('SIGKILL');
    await exited;
  }

  private readonly backend: Backend = async (req, ctl, emit) => {
    const child = this.child ?? this.spawn();
    const id = this.nextId++;
    const ended = new Promise<{ reason: VlmDone['reason']; tokens: number }>((resolve, reject) => {
      child.runs.set(id, { emit, resolve, reject });
    });
    ended.catch(() => undefined); // awaited below unless the request ends before it is sent
    let posted = false;
    // Past the hard limit: kill a generation under way; a child still loading is left to load (killing
    // it would only make the next request load again, and a load longer than the limit never end).
    const onHard = () => {
      if (child.loaded) this.kill(child);
    };
    const onSoft = () => {
      if (posted) this.post(child, { kind: 'cancel', id });
    };
    ctl.hard.addEventListener('abort', onHard, { once: true });
    ctl.soft.addEventListener('abort', onSoft, { once: true });
    try {
      await child.ready;
      if (ctl.hard.aborted) throw ctl.hard.reason;
      if (ctl.soft.aborted) return { reason: 'cancelled', tokens: 0 };
      this.post(child, {
        kind: 'generate',
        id,
        messages: [...req.messages],
        maxNewTokens: req.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS,
      });
      posted = true;
      if (ctl.soft.aborted) onSoft();
      return await ended;
    } finally {
      child.runs.delete(id);
      ctl.hard.removeEventListener('abort', onHard);
      ctl.soft.removeEventListener('abort', onSoft);
    }
  };

  private post(child: Child, msg: VlmChildRequest): void {
    if (child.proc.connected) child.proc.send(msg);
  }

  private kill(child: Child): void {
    if (this.child === child) this.child = undefined;
    child.proc.kill('SIGKILL');
  }

  private spawn(): Child {
    const config: VlmChildConfig = {
      modelDir: this.opts.modelDir,
      dtype: this.opts.dtype,
      device: this.opts.device ?? 'cpu',
      nice: this.opts.nice ?? 10,
    };
    const proc = fork(childScript(), [JSON.stringify(config)], {
      serialization: 'advanced',
      execArgv: [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.starts++;
    const runs = new Map<number, Run>();
    const child: Child = { proc, ready: Promise.resolve(), loaded: false, runs };
    let stderr = '';
    proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-2000);
      for (const line of d.split('\n')) if (line.trim()) this.opts.onLog?.(line);
    });
    const ready = new Promise<void>((resolve, reject) => {
      proc.on('message', (reply: VlmChildReply) => {
        if (reply.kind === 'ready') {
          child.loaded = true;
          this.lastLoadMs = reply.loadMs;
          resolve();
        } else if (reply.kind === 'load-error') {
          this.offReason = `VLM model failed to load from ${this.opts.modelDir}: ${reply.message}`;
          reject(new Error(this.offReason));
        } else if (reply.kind === 'chunk') runs.get(reply.id)?.emit(reply.text);
        else if (reply.kind === 'done')
          runs.get(reply.id)?.resolve({ reason: reply.reason, tokens: reply.tokens });
        else if (reply.kind === 'error')
          runs.get(reply.id)?.reject(new Error(`VLM generation failed: ${reply.message}`));
      });
      proc.on('exit', (code, signal) => {
        if (this.child?.proc === proc) this.child = undefined;
        const why = new Error(
          `VLM process exited (${signal ?? `code ${code}`})${stderr.trim() ? `: ${stderr.trim().slice(-500)}` : ''}`,
        );
        this.opts.onLog?.(why.message);
        reject(why);
        for (const run of runs.values()) run.reject(why);
        runs.clear();
      });
      proc.on('error', (err) => reject(err));
    });
    ready.catch(() => undefined);
    child.ready = ready;
    this.child = child;
    return child;
  }
}

/**
 * The VLM's configuration, read once from the environment, and the engine it describes. The edge and
 * the hub both call `createVlmEngine(vlmConfigFromEnv(process.env, modelsDir))`.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { parseEnv } from '../config/parse-env.js';
import { OffVlmEngine } from './off-vlm-engine.js';
import { OnnxVlmEngine } from './onnx-vlm-engine.js';
import { OpenAiVlmEngine } from './openai-vlm-engine.js';
import type { VlmEngine, VlmStatus } from './vlm-engine.js';

export { OffVlmEngine };

const dtype = z.enum(['q4', 'fp16', 'fp32', 'q4f16', 'q8']);

/** Environment variables of the VLM, with their defaults. */
export const vlmEnvSchema = z.object({
  /** 'onnx' (a local export, the default), 'openai' (an OpenAI-compatible server) or 'off'. */
  GIC_VLM_BACKEND: z.enum(['onnx', 'openai', 'off']).default('onnx'),
  /** The transformers.js export's folder; `<modelsDir>/medgemma-4b-it` unless given. */
  GIC_VLM_MODEL_DIR: z.string().min(1).optional(),
  /** Which ONNX variant: q4 (about 3 GB, CPU or GPU) or fp16 (about 8 GB, GPU). */
  GIC_VLM_DTYPE: dtype.default('q4'),
  /** The vision encoder's variant when it differs (q4 vision features are less faithful). */
  GIC_VLM_VISION_DTYPE: dtype.optional(),
  GIC_VLM_DEVICE: z.enum(['cpu', 'cuda']).default('cpu'),
  /** The OpenAI-compatible server (llama.cpp, vLLM, Ollama), with or without /v1. */
  GIC_VLM_OPENAI_URL: z.url().optional(),
  GIC_VLM_OPENAI_MODEL: z.string().min(1).default('medgemma-4b-it'),
  /** Bearer token for that server, if it wants one. */
  GIC_VLM_OPENAI_API_KEY: z.string().min(1).optional(),
  /** Requests that may wait behind the running one before the engine answers busy. */
  GIC_VLM_MAX_WAITING: z.coerce.number().int().min(0).max(100).default(2),
  /** Hard limit of one generation, ms (callers pass it as `timeoutMs`). */
  GIC_VLM_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
});

/** The VLM's settings. */
export type VlmConfig =
  | { backend: 'off'; reason: string; timeoutMs: number }
  | {
      backend: 'onnx';
      modelDir: string;
      dtype: z.infer<typeof dtype>;
      visionDtype?: z.infer<typeof dtype>;
      device: 'cpu' | 'cuda';
      maxWaiting: number;
      timeoutMs: number;
    }
  | {
      backend: 'openai';
      baseUrl: string;
      model: string;
      apiKey?: string;
      maxWaiting: number;
      timeoutMs: number;
    };

/** Reads the VLM settings from `env` (throws ConfigError listing every bad variable). */
export function vlmConfigFromEnv(env: Record<string, string | undefined>, modelsDir: string): VlmConfig {
  const e = parseEnv(vlmEnvSchema, env);
  const common = { maxWaiting: e.GIC_VLM_MAX_WAITING, timeoutMs: e.GIC_VLM_TIMEOUT_MS };
  if (e.GIC_VLM_BACKEND === 'off') {
    return {
      backend: 'off',
      reason: 'VLM turned off by configuration (GIC_VLM_BACKEND=off)',
      timeoutMs: e.GIC_VLM_TIMEOUT_MS,
    };
  }
  if (e.GIC_VLM_BACKEND === 'openai') {
    if (!e.GIC_VLM_OPENAI_URL) {
      const reason = 'VLM backend openai needs GIC_VLM_OPENAI_URL (the OpenAI-compatible server)';
      return { backend: 'off', reason, timeoutMs: e.GIC_VLM_TIMEOUT_MS };
    }
    return {
      backend: 'openai',
      baseUrl: e.GIC_VLM_OPENAI_URL,
      model: e.GIC_VLM_OPENAI_MODEL,
      ...(e.GIC_VLM_OPENAI_API_KEY ? { apiKey: e.GIC_VLM_OPENAI_API_KEY } : {}),
      ...common,
    };
  }
  return {
    backend: 'onnx',
    modelDir: e.GIC_VLM_MODEL_DIR ?? join(modelsDir, 'medgemma-4b-it'),
    dtype: e.GIC_VLM_DTYPE,
    ...(e.GIC_VLM_VISION_DTYPE ? { visionDtype: e.GIC_VLM_VISION_DTYPE } : {}),
    device: e.GIC_VLM_DEVICE,
    ...common,
  };
}

/**
 * The engine `config` describes, started: an ONNX child loads its model now (seconds; a missing
 * model is 'off' at once), an OpenAI-compatible server is probed. Never throws for a missing
 * model or server: the engine's status says why it is off.
 */
export async function createVlmEngine(
  config: VlmConfig,
  onLog?: (line: string) => void,
): Promise<VlmEngine & { start(): Promise<VlmStatus> }> {
  if (config.backend === 'off') {
    const engine = new OffVlmEngine(config.reason);
    return Object.assign(engine, { start: async () => engine.status() });
  }
  const engine =
    config.backend === 'onnx'
      ? new OnnxVlmEngine({
          modelDir: config.modelDir,
          dtype: config.visionDtype
            ? {
                embed_tokens: config.dtype,
                decoder_model_merged: config.dtype,
                vision_encoder: config.visionDtype,
              }
            : config.dtype,
          device: config.device,
          maxWaiting: config.maxWaiting,
          ...(onLog ? { onLog } : {}),
        })
      : new OpenAiVlmEngine({
          baseUrl: config.baseUrl,
          model: config.model,
          maxWaiting: config.maxWaiting,
          ...(config.apiKey ? { apiKey: config.apiKey } : {}),
        });
  await engine.start();
  return engine;
}

#!/usr/bin/env node
// VLM engine benchmark (part of npm run bench:chat). Sections run in order and print their own figures;
// each is a function in SECTIONS below, so the chat's context-building timing slots in beside the
// engine's.
//
// Engine (this file's first section): time to first token and tokens per second of the VLM engine on
// CPU with the tiny Gemma-3-shaped model (transformers.js generate() in the engine's child process,
// the real Gemma 3 tokenizer), against a baseline measured in the same run: the same model driven by
// transformers.js in this process, with no child process, IPC or queue. The difference is the engine's
// own overhead. With BENCH_VLM_MODEL_DIR set, the same measurement runs on a real export (MedGemma)
// with an image, and the answer time's p99 is compared with the seed's bar (under 2 s).
//
// Env: BENCH_RUNS (20), BENCH_VLM_MODEL_DIR, GIC_VLM_DTYPE (q4), GIC_VLM_DEVICE (cpu),
// BENCH_VLM_MAX_TOKENS (64).
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeTinyGemma3Model } from '@gic/shared/testing/tiny-gemma3-model.js';
import { toGemmaTurns } from '@gic/shared/vlm/gemma-prompt.js';
import { OnnxVlmEngine } from '@gic/shared/vlm/onnx-vlm-engine.js';

const root = resolve(import.meta.dirname, '..');
const dir = join(root, '.gic/bench/chat');
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const MAX_TOKENS = Number(process.env.BENCH_VLM_MAX_TOKENS ?? 64);

const pct = (values, p) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
};
const median = (values) => pct(values, 0.5);
const ms = (v) => `${v.toFixed(1)} ms`;

function frame(width, height) {
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < rgb.length; i += 3) rgb.set([200, 80 + ((i / 3) % width) / 4, 70], i);
  return { width, height, rgb };
}

/** One generation through the engine: first token, total, tokens. */
async function viaEngine(engine, messages) {
  const stream = engine.generate({ messages, maxNewTokens: MAX_TOKENS });
  for (;;) {
    const r = await stream.next();
    if (r.done) return r.value;
  }
}

/** The baseline: transformers.js in this process, streamer timing the first token. */
async function inProcess(tf, model, processor, messages) {
  const { turns, images } = toGemmaTurns(messages);
  const t0 = performance.now();
  let first = null;
  let tokens = 0;
  const prompt = processor.apply_chat_template(turns, { add_generation_prompt: true });
  const raw = images.map((im) => new tf.RawImage(new Uint8ClampedArray(im.rgb), im.width, im.height, 3));
  const inputs = await processor(prompt, raw.length ? raw : null, { add_special_tokens: false });
  const streamer = new tf.TextStreamer(processor.tokenizer, {
    skip_prompt: true,
    callback_function: () => {
      first ??= performance.now() - t0;
    },
    token_callback_function: (ids) => {
      tokens += ids.length;
    },
  });
  await model.generate({ ...inputs, max_new_tokens: MAX_TOKENS, do_sample: false, streamer });
  return { firstTokenMs: first, totalMs: performance.now() - t0, tokens };
}

function summarise(runs) {
  const first = runs.map((r) => r.firstTokenMs ?? r.totalMs);
  const rate = runs.map((r) => ((r.tokens - 1) / Math.max(1e-6, r.totalMs - (r.firstTokenMs ?? 0))) * 1000);
  const total = runs.map((r) => r.totalMs);
  return {
    firstMedian: median(first),
    firstP95: pct(first, 0.95),
    rateMedian: median(rate),
    totalMedian: median(total),
    totalP99: pct(total, 0.99),
    tokens: median(runs.map((r) => r.tokens)),
  };
}

async function engineSection() {
  const real = process.env.BENCH_VLM_MODEL_DIR;
  let modelDir = real;
  const dtype = process.env.GIC_VLM_DTYPE ?? (real ? 'q4' : 'fp32');
  const device = process.env.GIC_VLM_DEVICE ?? 'cpu';
  if (!real) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    modelDir = join(dir, 'tiny-gemma3');
    const words = Array.from({ length: 120 }, (_, i) => `word${i % 10}`).join(' ');
    await writeTinyGemma3Model(modelDir, { answers: { text: words, redImage: words, otherImage: words } });
  }
  console.log(
    `\n== VLM engine: ${real ? `${modelDir} (${dtype}, ${device})` : 'tiny Gemma-3-shaped model, CPU'} ==`,
  );
  const messages = [
    { role: 'system', content: 'You are an educational assistant for colonoscopy. You do not diagnose.' },
    { role: 'user', content: 'Describe this frame briefly.', image: frame(real ? 640 : 64, real ? 480 : 48) },
  ];

  const engine = new OnnxVlmEngine({ modelDir, dtype, device, maxWaiting: 1 });
  const t0 = performance.now();
  const status = await engine.start();
  if (status.state !== 'ready') throw new Error(`engine off: ${status.reason}`);
  console.log(
    `cold start (child process, model and tokenizer load): ${ms(performance.now() - t0)} (in the child: ${engine.lastLoadMs} ms)`,
  );
  await viaEngine(engine, messages); // warm-up
  const engineRuns = [];
  for (let i = 0; i < RUNS; i++) engineRuns.push(await viaEngine(engine, messages));
  await engine.close();

  const tf = await import('@huggingface/transformers');
  tf.env.allowRemoteModels = false;
  const model = await tf.Gemma3ForConditionalGeneration.from_pretrained(modelDir, {
    dtype,
    device,
    local_files_only: true,
  });
  const processor = await tf.AutoProcessor.from_pretrained(modelDir, { local_files_only: true });
  await inProcess(tf, model, processor, messages); // warm-up
  const baseRuns = [];
  for (let i = 0; i < RUNS; i++) baseRuns.push(await inProcess(tf, model, processor, messages));
  await model.dispose();

  const e = summarise(engineRuns);
  const b = summarise(baseRuns);
  console.log(`runs: ${RUNS}, tokens per answer: ${e.tokens} (max ${MAX_TOKENS}), one image per request`);
  console.log(
    `engine (child process):    first token median ${ms(e.firstMedian)}, p95 ${ms(e.firstP95)}; ${e.rateMedian.toFixed(0)} tokens/s; answer median ${ms(e.totalMedian)}, p99 ${ms(e.totalP99)}`,
  );
  console.log(
    `baseline (in process):     first token median ${ms(b.firstMedian)}, p95 ${ms(b.firstP95)}; ${b.rateMedian.toFixed(0)} tokens/s; answer median ${ms(b.totalMedian)}, p99 ${ms(b.totalP99)}`,
  );
  console.log(
    `engine / baseline: first token x${(e.firstMedian / b.firstMedian).toFixed(2)} (+${ms(e.firstMedian - b.firstMedian)}), tokens/s x${(e.rateMedian / b.rateMedian).toFixed(2)}`,
  );
  if (real) {
    console.log(
      `seed's bar, chat answer under 2 s at p99: ${e.totalP99 < 2000 ? 'MET' : 'NOT MET'} (p99 ${ms(e.totalP99)} for ${e.tokens} tokens)`,
    );
  }
}

function gpuSteps() {
  console.log(`
== Measuring MedGemma on a GPU box (not run here) ==
1. On a machine with internet: scripts/fetch-medgemma.sh fp16   (or q4; read and accept the terms)
   and copy models/medgemma-4b-it/ to the box (its SHA256SUMS travels with it).
2. onnxruntime-node with CUDA: npm ci with ONNXRUNTIME_NODE_INSTALL=cuda12 (the edge's CUDA image does this).
3. npm run build, then:
   BENCH_VLM_MODEL_DIR=models/medgemma-4b-it GIC_VLM_DTYPE=fp16 GIC_VLM_DEVICE=cuda BENCH_RUNS=50 node bench/chat-engine.mjs
   It prints first token, tokens/s and the answer's p99 against the seed's bar (a chat answer under 2 s at p99);
   BENCH_VLM_MAX_TOKENS (64) sets the answer length, which the 2 s bar depends on.
4. On a Jetson (no CUDA build of onnxruntime-node): run llama.cpp's server with a MedGemma GGUF and its
   mmproj, set GIC_VLM_BACKEND=openai GIC_VLM_OPENAI_URL=http://127.0.0.1:8080, and time the chat endpoint.`);
}

/** Sections in order; the chat's context-building timing is added here as its own function. */
const SECTIONS = [engineSection, gpuSteps];
for (const section of SECTIONS) await section();

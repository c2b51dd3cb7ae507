#!/usr/bin/env node
// npm run bench:chat: the chat's two benchmarks, one after the other, each in its own process.
//  - bench/chat-context.mjs: context building and timeline answers for a one-hour procedure (goal < 20 ms);
//  - bench/chat-engine.mjs: the VLM engine's time to first token and tokens per second (tiny model on
//    CPU, or a real export with BENCH_VLM_MODEL_DIR), and the steps to measure MedGemma on a GPU box;
//  - bench/vlm-live-rate.mjs: the whole edge's analysed-frame rate and latency with the VLM idle and busy.
// BENCH_RUNS applies to both (defaults: 200 and 20).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

let failed = 0;
for (const script of ['chat-context.mjs', 'chat-engine.mjs', 'vlm-live-rate.mjs']) {
  console.log(`\n== ${script}`);
  const r = spawnSync(process.execPath, [fileURLToPath(new URL(script, import.meta.url))], {
    stdio: 'inherit',
  });
  if (r.status !== 0) failed = r.status ?? 1;
}
process.exit(failed);

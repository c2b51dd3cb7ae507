#!/usr/bin/env node
// The face detector's threads (node bench/face-threads.mjs): one BlazeFace view (128x128) run on
// onnxruntime's default pool of intra-op threads (a thread a core; the baseline) and on one thread, as
// face-detector.ts now asks, interleaved in rounds. Prints per view, median and p95 over the rounds:
// wall time, and the process's CPU time (what a busy core beside it, the batch's decoder, loses).
// BENCH_ROUNDS (default 15) rounds of BENCH_VIEWS (default 100) views each.
import { resolve } from 'node:path';
import { ort } from '@gic/shared/analysis/onnx-session.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const VIEWS = Number(process.env.BENCH_VIEWS ?? 100);
const model = resolve(import.meta.dirname, '../models/blazeface-front/model.onnx');
const open = (threads) =>
  ort.InferenceSession.create(model, {
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    // As createOnnxSession: idle pool threads sleep rather than spin.
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    ...(threads ? { intraOpNumThreads: threads } : {}),
  });
const sessions = { pool: await open(0), one: await open(1) };
// A view of mid-grey with noise, as a letterboxed frame gives the model (values in -1..1).
const data = Float32Array.from({ length: 128 * 128 * 3 }, () => Math.random() * 2 - 1);
const input = () => ({ 'input:0': new ort.Tensor('float32', data, [1, 128, 128, 3]) });
for (const s of Object.values(sessions)) for (let i = 0; i < 20; i++) await s.run(input());

const results = { pool: { wall: [], cpu: [] }, one: { wall: [], cpu: [] } };
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, session] of Object.entries(sessions)) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < VIEWS; i++) await session.run(input());
    const cpu = process.cpuUsage(cpu0);
    results[name].wall.push((performance.now() - t0) / VIEWS);
    results[name].cpu.push((cpu.user + cpu.system) / 1000 / VIEWS);
  }
}
const pick = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const line = (name) => {
  const r = results[name];
  return `${name.padEnd(5)} wall ${pick(r.wall, 0.5).toFixed(2)} ms (p95 ${pick(r.wall, 0.95).toFixed(2)}), CPU ${pick(r.cpu, 0.5).toFixed(2)} ms (p95 ${pick(r.cpu, 0.95).toFixed(2)}) a view`;
};
console.log(`BlazeFace 128x128, ${ROUNDS} rounds of ${VIEWS} views, medians over rounds:`);
console.log(`  ${line('pool')}   <- onnxruntime's default pool (baseline)`);
console.log(`  ${line('one')}`);
const ratio = (k) => (pick(results.one[k], 0.5) / pick(results.pool[k], 0.5)).toFixed(2);
console.log(`  one thread / pool: wall ${ratio('wall')}x, CPU ${ratio('cpu')}x`);
await Promise.all(Object.values(sessions).map((s) => s.release()));

#!/usr/bin/env node
// Chat context benchmark (part of npm run bench:chat), in one process, no network. A one-hour procedure at 5 analysed
// frames per second (18 000 frames, 12 polyps, cecum at 20 min) in the edge's SQLite store, then:
//  - context building: the running summary and the model's messages (rules, 10 exchanges, record,
//    moments by time, quoted question) from the procedure's facts - the goal is under 20 ms;
//  - the facts themselves from the store's rows (SQLite read + axis + finding runs), against a raw
//    SELECT of the same rows in the same run;
//  - a timeline answer end to end ("how many polyps so far", no model): facts, answer, both messages
//    stored with their outbox events.
// Prints median and p95 over BENCH_RUNS (200) runs each, and the ratios to the raw SELECT.
// Sections are a list: the VLM engine's timings (time to first token, tokens per second) add theirs.
import { randomUUID } from 'node:crypto';
import { ChatLog } from '@gic/edge/chat/chat-log.js';
import { edgeChatService } from '@gic/edge/chat/edge-chat.js';
import { edgeProcedureFacts } from '@gic/edge/chat/edge-procedure-facts.js';
import { ProcedureLog } from '@gic/edge/live/procedure-log.js';
import { SqliteOutbox } from '@gic/edge/outbox/sqlite-outbox.js';
import { openEdgeDatabase } from '@gic/edge/store/edge-database.js';
import { buildChatMessages } from '@gic/shared/chat/chat-prompt.js';
import { offVlmEngine } from '@gic/shared/chat/off-engine.js';
import { factsFromFrames } from '@gic/shared/chat/procedure-facts.js';
import { SummaryCache, summarise } from '@gic/shared/chat/procedure-summary.js';
import { procedureRecord } from '@gic/shared/testing/procedure-record.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const HOUR_MS = 3_600_000;
const FPS = 5;

const stats = (ms) => {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: at(0.5), p95: at(0.95) };
};
const fmt = (ms) => `${ms.toFixed(2)} ms`;
async function measure(fn) {
  await fn(); // warm
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return stats(times);
}

// The one-hour procedure, generated, then written to SQLite as the live session writes it.
const startedAtMs = Date.now() - HOUR_MS;
const procedureId = randomUUID();
const raw = procedureRecord({
  procedureId,
  startedAtMs,
  durationMs: HOUR_MS,
  fps: FPS,
  polyps: Array.from({ length: 12 }, (_, i) => ({ atMs: (25 + i * 2.5) * 60_000, forMs: 4000, score: 0.8 })),
  cecumAtMs: 20 * 60_000,
  outsideMs: 60_000,
});
const db = openEdgeDatabase(':memory:');
const outbox = new SqliteOutbox(db);
const procedures = new ProcedureLog(db, outbox);
const t0 = performance.now();
db.prepare(
  "INSERT INTO procedures (id, started_at, source_label, start_trigger, operator, cecum_reached_at) VALUES (?, ?, 'bench', 'operator', 'dr.bench', ?)",
).run(procedureId, new Date(startedAtMs).toISOString(), new Date(raw.cecumAtMs).toISOString());
const insert = db.prepare(
  'INSERT INTO frame_analyses (procedure_id, frame_index, analysis, created_at) VALUES (?, ?, ?, ?)',
);
db.transaction(() => {
  raw.frames.forEach((f, i) => {
    const analysis = {
      frameIndex: i,
      ptsMs: f.ptsMs,
      width: 1280,
      height: 720,
      quality: { sharpness: 40, brightness: 0.4, blurred: false, exposure: 'ok', inBody: f.inBody },
      privacyRegions: [{ x: 0, y: 0, w: 0.3, h: 0.05, kind: 'text' }],
      detections: f.detections.map((d) => ({
        ...d,
        box: { x: 0.4, y: 0.4, w: 0.1, h: 0.1 },
        modelId: 'polyp',
      })),
      models: [{ id: 'polyp', version: '1', executionProvider: 'cpu' }],
      modelsOff: [],
      latencyMs: 20,
    };
    insert.run(procedureId, i, JSON.stringify(analysis), new Date(f.atMs).toISOString());
  });
})();
void procedures;
console.log(`seeded ${raw.frames.length} frame analyses in ${(performance.now() - t0).toFixed(0)} ms`);

const facts = factsFromFrames(raw);
const chat = new ChatLog(db, outbox);
const sessionId = randomUUID();
for (let i = 0; i < 10; i++) {
  chat.record({ sessionId, procedureId, role: 'user', text: `question ${i} about the procedure` });
  chat.record({
    sessionId,
    procedureId,
    role: 'assistant',
    text: `answer ${i}, citing [25:0${i % 10}]`,
    source: 'model',
  });
}
const history = chat.history(sessionId);
const frame = { tMs: HOUR_MS, onScreenText: ['PATIENT NAME', 'ID 12345'] };

const sections = [
  {
    name: 'context building (summary + model messages, 1 h procedure)',
    goalMs: 20,
    run: () => {
      const summary = summarise(facts);
      buildChatMessages({
        facts,
        summary,
        history,
        question: 'what should I look at next?',
        frame,
        nowMs: HOUR_MS,
      });
    },
  },
  {
    name: 'context building with the running summary cached',
    run: (() => {
      const cache = new SummaryCache();
      return () =>
        buildChatMessages({
          facts,
          summary: cache.get(facts),
          history,
          question: 'what should I look at next?',
          frame,
          nowMs: HOUR_MS,
        });
    })(),
  },
  { name: 'facts from generated rows (axis, finding runs), no SQL', run: () => factsFromFrames(raw) },
  {
    name: 'baseline: raw SELECT of the frame rows (SQLite)',
    baseline: true,
    run: (() => {
      const stmt = db.prepare('SELECT analysis, created_at FROM frame_analyses WHERE procedure_id = ?');
      return () => stmt.all(procedureId);
    })(),
  },
  {
    name: 'edge facts from SQLite (what a question loads)',
    run: (() => edgeProcedureFacts(db))().bind(null, procedureId),
  },
  {
    name: 'timeline answer end to end, no model ("how many polyps so far")',
    run: (() => {
      const service = edgeChatService({
        db,
        outbox,
        vlm: offVlmEngine(),
        onScreen: () => ({ procedureId, jpeg: undefined }),
      });
      return async () => {
        for await (const _ of service.ask({
          sessionId: randomUUID(),
          procedureId,
          text: 'how many polyps so far?',
        }));
      };
    })(),
  },
];

console.log(`chat bench: 1 h procedure, ${raw.frames.length} frames, ${RUNS} runs each`);
let baseline;
for (const s of sections) {
  const r = await measure(s.run);
  if (s.baseline) baseline = r;
  const ratio =
    baseline && !s.baseline ? `  (${(r.median / baseline.median).toFixed(2)}x the raw SELECT)` : '';
  const goal = s.goalMs ? `  goal < ${s.goalMs} ms: ${r.p95 < s.goalMs ? 'met' : 'NOT met'}` : '';
  console.log(`${s.name}: median ${fmt(r.median)}, p95 ${fmt(r.p95)}${ratio}${goal}`);
}
db.close();

#!/usr/bin/env node
// Review portal benchmark (npm run bench:review), on embedded defaults, loopback only. Seeds the hub's
// PostgreSQL with BENCH_PROCEDURES procedures (2000) over 20 rooms, one of them an hour long at 3 fps
// (10 800 frame analyses, findings, alerts, chat), then measures over HTTP with a signed-in user:
//  - the procedures list's first page, a filtered page (room + findings + text) and a page deep in
//    the cursor chain, each against a raw SQL query of the same page in the same run;
//  - the one-hour procedure's timeline (latency and JSON size) against a raw SELECT of its analyses;
//  - the playback answer (presigning the segment URL).
// Prints medians and p95 over BENCH_RUNS (30) requests each, and the ratios.
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadHubConfig } from '@gic/hub/config.js';
import { startHub } from '@gic/hub/hub-process.js';
import { createLogger } from '@gic/shared/logging/logger.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const root = resolve(import.meta.dirname, '..');
const dir = join(root, '.gic/bench/review');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
chmodSync(dir, 0o711);
const PROCEDURES = Number(process.env.BENCH_PROCEDURES ?? 2000);
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const HOUR_FRAMES = 3600 * 3;

const hub = await startHub(
  loadHubConfig({
    GIC_HUB_DATA_DIR: join(dir, 'hub'),
    GIC_HUB_PORT: process.env.BENCH_HUB_PORT ?? '18081',
    GIC_MQTT_PORT: process.env.BENCH_MQTT_PORT ?? '18831',
    GIC_EMBEDDED_PG_PORT: process.env.BENCH_PG_PORT ?? '54349',
    GIC_EMBEDDED_S3_PORT: process.env.BENCH_S3_PORT ?? '19001',
    GIC_ADMIN_PASSWORD: 'bench-admin-password',
  }),
  createLogger('bench', 'warn'),
);

const stats = (ms) => {
  const s = [...ms].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p95: s[Math.min(s.length - 1, Math.floor(s.length * 0.95))] };
};
async function time(fn) {
  const ms = [];
  let last;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    last = await fn();
    ms.push(performance.now() - t);
  }
  return { ...stats(ms), last };
}
const fmt = (s) => `median ${s.median.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms`;

try {
  const db = hub.db;
  const login = await fetch(`${hub.httpUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'bench-admin-password' }),
  });
  const { accessToken } = await login.json();
  const get = async (path) => {
    const res = await fetch(`${hub.httpUrl}${path}`, { headers: { authorization: `Bearer ${accessToken}` } });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.text();
  };

  // Seed: rooms, procedures a few minutes apart, each with a few analyses, some with alerts and chat.
  const seedStart = performance.now();
  await db.query(
    `INSERT INTO devices (id, name, public_jwk)
     SELECT 'edge-' || lpad(to_hex(r), 12, '0'), 'endoscopy-room-' || r, '{}'::jsonb FROM generate_series(1, 20) r`,
  );
  await db.query(
    `INSERT INTO procedures (id, device_id, started_at, ended_at, end_reason, source_label, operator, start_trigger)
     SELECT gen_random_uuid(), 'edge-' || lpad(to_hex(1 + i % 20), 12, '0'),
            now() - (i * interval '7 minutes'), now() - (i * interval '7 minutes') + interval '5 minutes',
            'operator', 'tower ' || (i % 20), 'Dr. ' || (i % 37), 'operator'
       FROM generate_series(1, $1::int) i`,
    [PROCEDURES - 1],
  );
  const analysis = (i, findings) =>
    `jsonb_build_object('frameIndex', ${i}, 'ptsMs', ${i} * 333.3, 'width', 1280, 'height', 1024,
      'quality', jsonb_build_object('sharpness', 10 + (${i} % 40), 'brightness', 0.5, 'blurred', (${i} % 40) < 5,
        'exposure', 'ok', 'inBody', (${i} % 600) > 30),
      'privacyRegions', jsonb_build_array(jsonb_build_object('x', 0.01, 'y', 0.01, 'w', 0.4, 'h', 0.06)),
      'detections', CASE WHEN ${findings} THEN jsonb_build_array(jsonb_build_object('label', 'polyp', 'score', 0.8,
        'box', jsonb_build_object('x', 0.4, 'y', 0.4, 'w', 0.1, 'h', 0.1), 'modelId', 'polyp')) ELSE '[]'::jsonb END,
      'models', '[]'::jsonb, 'modelsOff', '[]'::jsonb, 'latencyMs', 40)`;
  await db.query(
    `INSERT INTO frame_analyses (device_id, event_id, procedure_id, frame_index, pts_ms, findings_count,
                                 privacy_region_count, analysis)
     SELECT p.device_id, gen_random_uuid(), p.id, i, i * 333.3, 0, 1, ${analysis('i', 'false')}
       FROM procedures p, generate_series(0, 29) i`,
  );
  await db.query(
    `INSERT INTO alerts (id, device_id, procedure_id, label, model_id, model_version, first_frame_index,
                         raised_frame_index, raised_at, best_score, box, shown, state, acknowledged_by, last_seq)
     SELECT gen_random_uuid(), p.device_id, p.id, 'polyp', 'polyp', '1', 3, 5, p.started_at, 0.8,
            '{"x":0.4,"y":0.4,"w":0.1,"h":0.1}', true, 'acknowledged', p.operator, 1
       FROM procedures p WHERE p.operator LIKE '%1'`,
  );
  // The hour-long procedure.
  const long = randomUUID();
  await db.query(
    `INSERT INTO procedures (id, device_id, started_at, ended_at, end_reason, source_label, operator, start_trigger,
                             cecum_reached_at)
     VALUES ($1, 'edge-000000000001', now() - interval '1 hour', now(), 'operator', 'tower 1', 'Dr. Long', 'operator',
             now() - interval '20 minutes')`,
    [long],
  );
  await db.query(
    `WITH f AS (SELECT i, gen_random_uuid() AS event_id FROM generate_series(0, $2::int - 1) i),
          e AS (INSERT INTO device_events (device_id, event_id, seq, type, procedure_id, event_ts)
                SELECT 'edge-000000000001', event_id, 1000000 + i, 'frame.analysed', $1,
                       now() - interval '1 hour' + i * interval '333 milliseconds' FROM f)
     INSERT INTO frame_analyses (device_id, event_id, procedure_id, frame_index, pts_ms, findings_count,
                                 privacy_region_count, analysis)
     SELECT 'edge-000000000001', event_id, $1, i, i * 333.3, 0, 1, ${analysis('i', '(i % 900) BETWEEN 100 AND 130')}
       FROM f`,
    [long, HOUR_FRAMES],
  );
  await db.query(
    `INSERT INTO chat_messages (device_id, message_id, event_id, session_id, procedure_id, role, text, by, at)
     SELECT 'edge-000000000001', gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), $1,
            CASE WHEN i % 2 = 0 THEN 'user' ELSE 'assistant' END, 'about the lesion at minute ' || i, 'Dr. Long',
            now() - interval '1 hour' + i * interval '1 minute'
       FROM generate_series(1, 40) i`,
    [long],
  );
  // Its recording: one verified segment (presigned for playback; the object need not exist for that).
  await db.query(
    `INSERT INTO recording_seals (device_id, recording_id, procedure_id, segment_index, status, final, size_bytes,
                                  sha256, last_seq)
     VALUES ('edge-000000000001', gen_random_uuid(), $1, 0, 'ready', true, 1000000, repeat('ab', 32), 1)`,
    [long],
  );
  await db.query(
    `INSERT INTO recordings (id, procedure_id, device_id, object_key, size_bytes, part_size, sha256_claimed,
                             sha256_verified, status)
     VALUES (gen_random_uuid(), $1, 'edge-000000000001', 'recordings/bench.mp4', 1000000, 8388608, repeat('ab', 32),
             repeat('ab', 32), 'available')`,
    [long],
  );
  await db.query('ANALYZE');
  console.log(
    `seeded ${PROCEDURES} procedures over 20 rooms (${PROCEDURES * 30 + HOUR_FRAMES} frame analyses) in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`,
  );

  // The list: first page, filtered, deep in the cursor chain; raw SQL of the same first page as the floor.
  const raw = await time(() =>
    db.query(
      `SELECT p.id FROM procedures p JOIN devices d ON d.id = p.device_id
        ORDER BY coalesce(p.started_at, p.created_at) DESC, p.id DESC LIMIT 25`,
    ),
  );
  const first = await time(() => get('/api/v1/procedures?limit=25'));
  const filtered = await time(() =>
    get('/api/v1/procedures?limit=25&room=room-1&hasFindings=true&q=dr.%201'),
  );
  let cursor = null;
  for (let i = 0; i < 40; i++)
    cursor = JSON.parse(
      await get(`/api/v1/procedures?limit=25${cursor ? `&cursor=${cursor}` : ''}`),
    ).nextCursor;
  const deep = await time(() => get(`/api/v1/procedures?limit=25&cursor=${cursor}`));
  console.log(`raw SQL, first 25 ids:          ${fmt(raw)}`);
  console.log(
    `list, first page of 25:         ${fmt(first)} (${(first.median / raw.median).toFixed(1)}x raw)`,
  );
  console.log(
    `list, filtered (room+findings+q): ${fmt(filtered)} (${JSON.parse(filtered.last).total} match)`,
  );
  console.log(`list, page 41 by cursor:        ${fmt(deep)}`);

  // The hour-long procedure's timeline, against reading its analyses raw.
  const rawFrames = await time(() =>
    db.query('SELECT analysis FROM frame_analyses WHERE procedure_id = $1 ORDER BY frame_index', [long]),
  );
  const timeline = await time(() => get(`/api/v1/procedures/${long}/timeline`));
  const body = JSON.parse(timeline.last);
  console.log(`raw SQL, 1 h of analyses:       ${fmt(rawFrames)} (${HOUR_FRAMES} rows)`);
  console.log(
    `timeline, 1 h procedure:        ${fmt(timeline)} (${(timeline.median / rawFrames.median).toFixed(2)}x raw; ${(timeline.last.length / 1024).toFixed(0)} KiB JSON: ${body.quality.length} quality points, ${body.findings.length} findings, ${body.chat.length} chat)`,
  );
  const playback = await time(() => get(`/api/v1/procedures/${long}/playback`));
  console.log(`playback answer:                ${fmt(playback)}`);
} finally {
  await hub.stop();
  rmSync(dir, { recursive: true, force: true });
}

#!/usr/bin/env node
// Batch processing benchmark (npm run bench:batch), on embedded defaults, loopback only. Prints:
//  - for a generated 10-minute 720p H.264 video (BENCH_MINUTES), uploaded through the API: the time of
//    each processing stage and end to end, as a ratio to GStreamer decode-only time of the same file
//    read from the same object store in the same run (the physical limit here; the seed's goal is at
//    most 1.5x at 1 fps sampling); frames analysed per second. Two runs: the first de-identifies the
//    upload (a full decode, mask and re-encode on top of the analysis), the second re-runs processing
//    on the de-identified copy (the analysis path alone, as for a room's recording; the copy has
//    B-frames, which processing does not decode, so decode-only of the frames it does decode is
//    printed too); and run 1 against its own floor, the upload decoded and encoded again as its copy is;
//    run 3 the analysis path on a video with no B-frames and a key frame a second, as a room's recording
//    is (the upload's own bytes registered as already de-identified: while the view is still, processing
//    decodes its key frames alone), against decode-only of those bytes;
//  - the export time of a procedure the size of one hour (BENCH_EXPORT_MB, default one hour at the
//    edge recorder's 4 Mbit/s: 1800 MB; 3600 analysed frames, 120 key frames). The seed's goal: 10 s.
// BENCH_DECODE_THREADS sets the worker's GIC_BATCH_DECODE_THREADS (to compare with libav's own, 0; the default is auto).
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, createReadStream, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { maskedCopyEncoding } from '@gic/hub/batch/masked-video.js';
import { insertRun } from '@gic/hub/batch/processing-repo.js';
import { framesOf, insertFrames, replaceKeyframes, saveAnalyses } from '@gic/hub/batch/results-repo.js';
import { loadHubConfig } from '@gic/hub/config.js';
import { startHub } from '@gic/hub/hub-process.js';
import { MultipartWriter } from '@gic/hub/storage/multipart-writer.js';
import { insertUploadedVideo, recordMaskedCopy } from '@gic/hub/videos/videos-repo.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { decoderThreadOptions } from '@gic/shared/media/file-frames.js';
import { runToEos } from '@gic/shared/media/gst.js';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const root = resolve(import.meta.dirname, '..');
const dir = join(root, '.gic/bench/batch');
const MINUTES = Number(process.env.BENCH_MINUTES ?? 10);
const EXPORT_MB = Number(process.env.BENCH_EXPORT_MB ?? 1800);
const PASSWORD = 'bench-admin-password';
const log = createLogger('bench', 'warn');

// The generated video is kept between runs (it takes a while to encode).
const video = join(root, `.gic/bench/batch-video-${MINUTES}min.mp4`);
if (!existsSync(video)) {
  console.log(`generating a ${MINUTES}-minute 1280x720 H.264 video ...`);
  const t = performance.now();
  await generateSampleVideo(video, { seconds: MINUTES * 60, width: 1280, height: 720 });
  console.log(`  generated in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
chmodSync(dir, 0o711);

const hub = await startHub(
  loadHubConfig({
    GIC_HUB_DATA_DIR: join(dir, 'hub'),
    GIC_HUB_PORT: process.env.BENCH_HUB_PORT ?? '18081',
    GIC_MQTT_PORT: process.env.BENCH_MQTT_PORT ?? '18831',
    GIC_EMBEDDED_PG_PORT: process.env.BENCH_PG_PORT ?? '54349',
    GIC_EMBEDDED_S3_PORT: process.env.BENCH_S3_PORT ?? '19001',
    GIC_ADMIN_PASSWORD: PASSWORD,
    GIC_BATCH_SAMPLE_FPS: process.env.BENCH_SAMPLE_FPS ?? '1',
    // The worker's decoder threads (the hub's default, auto: one while the models run on the CPU, unless BENCH_DECODE_THREADS says otherwise).
    ...(process.env.BENCH_DECODE_THREADS
      ? { GIC_BATCH_DECODE_THREADS: process.env.BENCH_DECODE_THREADS }
      : {}),
    // Kept, so that decode-only can be timed on the very object processing read.
    GIC_UPLOAD_KEEP_RAW: 'true',
    GIC_UPLOAD_MAX_MB: '4096',
  }),
  log,
);
const seconds = (ms) => (ms / 1000).toFixed(1);
try {
  const login = await fetch(`${hub.httpUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: PASSWORD }),
  });
  const { accessToken } = await login.json();
  const api = async (path, init = {}) => {
    // A status poll may meet a keep-alive socket the busy server is closing: asked again.
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(`${hub.httpUrl}${path}`, {
          ...init,
          headers: { authorization: `Bearer ${accessToken}`, ...init.headers },
        });
        if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
        return res.json();
      } catch (err) {
        if ((init.method ?? 'GET') !== 'GET' || attempt >= 5 || err.message?.startsWith(path)) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };

  const bytes = statSync(video).size;
  let t = performance.now();
  const uploaded = await api('/api/v1/videos/upload', {
    method: 'POST',
    body: Readable.toWeb(createReadStream(video)),
    duplex: 'half',
    headers: { 'content-type': 'video/mp4', 'content-length': String(bytes) },
  });
  const uploadMs = performance.now() - t;
  console.log(
    `upload: ${(bytes / 1e6).toFixed(0)} MB streamed, hashed and probed in ${seconds(uploadMs)} s (${(bytes / 1e6 / (uploadMs / 1000)).toFixed(0)} MB/s)`,
  );

  const waitRun = async (id) => {
    for (;;) {
      const s = await api(`/api/v1/videos/${id}/status`);
      if (s.state === 'completed') return s;
      if (s.state === 'failed' || s.state === 'cancelled')
        throw new Error(`run ${s.state}: ${JSON.stringify(s.stages)}`);
      // Once a second, as a well-behaved client polls (the API allows each user 100 requests a
      // minute; the times come from the stages' own records, not from this poll).
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  const report = async (label, s) => {
    const span = (st) => new Date(st.finishedAt).getTime() - new Date(st.startedAt).getTime();
    const total = new Date(s.stages.at(-1).finishedAt).getTime() - new Date(s.stages[0].startedAt).getTime();
    const frames = (await framesOf(hub.db, s.runId)).length;
    // Frames are analysed while the extract stage decodes (the analyse stage analyses what is left,
    // then makes the key frames): the rate is over both.
    const extract = s.stages.find((st) => st.name === 'extract');
    const analyse = s.stages.find((st) => st.name === 'analyse');
    const analysing = new Date(analyse.finishedAt).getTime() - new Date(extract.startedAt).getTime();
    console.log(`\n${label}`);
    for (const st of s.stages) console.log(`  ${st.name.padEnd(8)} ${seconds(span(st)).padStart(7)} s`);
    console.log(`  total    ${seconds(total).padStart(7)} s (stages queued back to back included)`);
    console.log(
      `  frames analysed: ${frames}, ${(frames / (analysing / 1000)).toFixed(2)} per second of extract + analyse`,
    );
    return { total, analyse: span(analyse) };
  };

  // The worker shares this process with the API, broker and ingest: how long its event loop stalls.
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  const firstStages = await report(
    'run 1: upload de-identified (analysis + masked re-encode)',
    await waitRun(uploaded.id),
  );
  const first = firstStages.total;
  const { runId } = await api(`/api/v1/videos/${uploaded.id}/process`, { method: 'POST' });
  const { total: second } = await report(
    'run 2: re-run on the de-identified copy (analysis path)',
    await waitRun(uploaded.id),
  );
  void runId;
  // Run 3: the analysis path on a video with no B-frames, as a room's recording is (x264
  // zerolatency): the generated upload's own bytes, registered as an already de-identified video.
  const { rows: rawRows } = await hub.db.query('SELECT raw_key FROM videos WHERE procedure_id = $1', [
    uploaded.id,
  ]);
  const roomLike = randomUUID();
  const roomKey = `videos/${roomLike}/room-like.mp4`;
  const roomCopy = await MultipartWriter.open(hub.store, roomKey, 'video/mp4');
  for await (const c of await hub.store.read(rawRows[0].raw_key)) await roomCopy.write(c);
  await roomCopy.close();
  const roomFacts = await hub.store.sha256(roomKey);
  await insertUploadedVideo(hub.db, {
    procedureId: roomLike,
    rawKey: `uploads/raw/${roomLike}`,
    facts: { durationMs: MINUTES * 60_000, width: 1280, height: 720, fps: 30 },
    bytes: roomFacts.bytes,
    sha256: roomFacts.sha256,
    createdBy: 'bench',
  });
  await recordMaskedCopy(hub.db, {
    procedureId: roomLike,
    recordingId: randomUUID(),
    key: roomKey,
    ...roomFacts,
  });
  await api(`/api/v1/videos/${roomLike}/process`, { method: 'POST' });
  const { total: third } = await report(
    'run 3: the analysis path on a video without B-frames (the upload as a room would record it)',
    await waitRun(roomLike),
  );
  loop.disable();
  console.log(
    `\nevent loop delay during processing: p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms, max ${(loop.max / 1e6).toFixed(0)} ms`,
  );

  // Decode only, in the same run, of the same objects from the same store (nothing else running now).
  const { rows } = await hub.db.query('SELECT raw_key, masked_key FROM videos WHERE procedure_id = $1', [
    uploaded.id,
  ]);
  // The baseline is the faster of libav's own threading and one decoder thread (what the worker
  // uses by default, GIC_BATCH_DECODE_THREADS), each the best of two, so that the ratio is never
  // flattered by a slow baseline.
  const decodeOnce = async (key, threads, skipNonReferenceFrames = false) => {
    const url = await hub.store.presignGet(key, { internal: true, expiresIn: 3600 });
    const start = performance.now();
    await runToEos(`souphttpsrc location="${url}" ! decodebin ! fakesink sync=false`, 3_600_000, {
      ...decoderThreadOptions(threads),
      skipNonReferenceFrames,
    });
    return performance.now() - start;
  };
  const decode = async (key, skipNonReferenceFrames = false) => {
    const times = { auto: [], one: [] };
    for (let i = 0; i < 2; i++) {
      times.auto.push(await decodeOnce(key, 0, skipNonReferenceFrames));
      times.one.push(await decodeOnce(key, 1, skipNonReferenceFrames));
    }
    const auto = Math.min(...times.auto);
    const one = Math.min(...times.one);
    return { best: Math.min(auto, one), auto, one };
  };
  const rawDecode = await decode(rows[0].raw_key);
  const maskedDecode = await decode(rows[0].masked_key);
  const decodeRaw = rawDecode.best;
  const decodeMasked = maskedDecode.best;
  console.log(
    `\ndecode only (GStreamer, from the object store, the faster of libav's threads and one thread): upload ${seconds(decodeRaw)} s, masked copy ${seconds(decodeMasked)} s`,
  );
  console.log(
    `  masked copy: libav's threads ${seconds(maskedDecode.auto)} s, one thread ${seconds(maskedDecode.one)} s; upload: ${seconds(rawDecode.auto)} s, ${seconds(rawDecode.one)} s`,
  );
  console.log(`ratio run 1 / decode-only: ${(first / decodeRaw).toFixed(2)}x`);
  // Run 1's own floor: the upload decoded and encoded again as its de-identified copy is, with
  // nothing else (no analysis, no mask, no upload of the result), the best of two.
  const reencodeOnce = async () => {
    const url = await hub.store.presignGet(rows[0].raw_key, { internal: true, expiresIn: 3600 });
    const start = performance.now();
    await runToEos(
      `souphttpsrc location="${url}" ! decodebin ! videoconvert ! video/x-raw,format=I420 ! ${maskedCopyEncoding(30)} ! fakesink sync=false`,
      3_600_000,
    );
    return performance.now() - start;
  };
  const reencode = Math.min(await reencodeOnce(), await reencodeOnce());
  console.log(
    `  decode and re-encode only of the upload (as its de-identified copy is encoded): ${seconds(reencode)} s; run 1 / that: ${(first / reencode).toFixed(2)}x; run 1's analyse stage (mostly the copy) / that: ${(firstStages.analyse / reencode).toFixed(2)}x`,
  );
  console.log(
    `ratio run 2 / decode-only: ${(second / decodeMasked).toFixed(2)}x (goal <= 1.5x at 1 fps sampling)`,
  );
  console.log(
    `ratio run 3 / decode-only of the same bytes (the upload's): ${(third / decodeRaw).toFixed(2)}x (every frame is a reference: key frames alone are decoded while the view is still, a key frame a second)`,
  );
  // Processing decodes only the frames others refer to (x264's B-frames in the masked copy are mostly
  // not): the same decode alone, to show how much of run 2's ratio that buys.
  const referenceDecode = await decode(rows[0].masked_key, true);
  console.log(
    `  decode only of the masked copy's frames that others refer to (what processing decodes): ${seconds(referenceDecode.best)} s; run 2 / that: ${(second / referenceDecode.best).toFixed(2)}x`,
  );

  // Export of a procedure the size of one hour: its masked video (random bytes of the size: the
  // export streams it, never decodes a single segment), 3600 analyses at 1 fps, 120 key frames.
  const procedureId = randomUUID();
  const maskedKey = `videos/${procedureId}/masked-bench.mp4`;
  const writer = await MultipartWriter.open(hub.store, maskedKey, 'video/mp4');
  const chunk = randomBytes(8 * 1024 * 1024);
  for (let written = 0; written < EXPORT_MB * 1e6; written += chunk.length) await writer.write(chunk);
  await writer.close();
  // Read back, as processing verifies its masked copy: its size, SHA-256 and CRC-32 as stored.
  const masked = await hub.store.sha256(maskedKey);
  await insertUploadedVideo(hub.db, {
    procedureId,
    rawKey: `uploads/raw/${procedureId}`,
    facts: { durationMs: 3_600_000, width: 1280, height: 720, fps: 30 },
    bytes: masked.bytes,
    sha256: masked.sha256,
    createdBy: 'bench',
  });
  await recordMaskedCopy(hub.db, { procedureId, recordingId: randomUUID(), key: maskedKey, ...masked });
  const run = randomUUID();
  await insertRun(hub.db, run, procedureId, 'bench');
  await hub.db.query("UPDATE processing_stages SET state = 'completed' WHERE run_id = $1", [run]);
  await hub.db.query("UPDATE processing_runs SET state = 'completed' WHERE id = $1", [run]);
  const sample = (await framesOf(hub.db, (await api(`/api/v1/videos/${uploaded.id}/status`)).runId))[0]
    .analysis;
  const frames = Array.from({ length: 3600 }, (_, i) => ({ index: i, tMs: i * 1000, motion: 0, key: '' }));
  await insertFrames(hub.db, run, frames);
  await saveAnalyses(
    hub.db,
    run,
    frames.map((f) => ({ ...sample, frameIndex: f.index, ptsMs: f.tMs })),
  );
  const keyframe = (await api(`/api/v1/videos/${uploaded.id}/keyframes`))[0];
  const jpeg = Buffer.from(await (await fetch(keyframe.url)).arrayBuffer());
  const keys = [];
  for (let i = 0; i < 120; i++) {
    const key = `keyframes/${procedureId}/${run}/${i * 30_000}.jpg`;
    await hub.store.put(key, jpeg, 'image/jpeg');
    keys.push({ tMs: i * 30_000, reason: 'interval', key });
  }
  await replaceKeyframes(hub.db, run, procedureId, keys);
  await api(`/api/v1/videos/${procedureId}/export`, { method: 'POST' });
  let exp;
  for (;;) {
    exp = await api(`/api/v1/videos/${procedureId}/export`);
    if (exp.state === 'ready' || exp.state === 'failed') break;
    // Once a second, within the API's 100 requests a minute: the time comes from the export's own record.
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (exp.state !== 'ready') throw new Error(`export failed: ${exp.error}`);
  const {
    rows: [span],
  } = await hub.db.query(
    'SELECT created_at, finished_at FROM video_exports WHERE procedure_id = $1 ORDER BY created_at DESC LIMIT 1',
    [procedureId],
  );
  const exportMs = span.finished_at.getTime() - span.created_at.getTime();
  console.log(
    `\nexport of a one-hour-sized procedure: ${(exp.bytes / 1e6).toFixed(0)} MB ZIP in ${seconds(exportMs)} s (${(exp.bytes / 1e6 / (exportMs / 1000)).toFixed(0)} MB/s; goal under 10 s)`,
  );
  // The floor under it: the same video copied object to object through the same store, nothing else.
  t = performance.now();
  const copy = await MultipartWriter.open(hub.store, `bench/copy-${procedureId}`, 'video/mp4');
  for await (const c of await hub.store.read(maskedKey)) await copy.write(c);
  await copy.close();
  const copyMs = performance.now() - t;
  console.log(
    `plain copy of its video through the same store: ${seconds(copyMs)} s; export / copy: ${(exportMs / copyMs).toFixed(2)}x`,
  );
} finally {
  await hub.stop();
}

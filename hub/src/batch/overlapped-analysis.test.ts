import { createHash, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Scan } from '@gic/shared/analysis/frame-analyzer.js';
import { ThreadedAnalyzer } from '@gic/shared/analysis/threaded-analyzer.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import type { RgbFrame } from '@gic/shared/media/frame.js';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import type { FrameAnalysis } from '@gic/shared/messages/events.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../test/helpers.js';
import { freePort } from '../../../test/ports.js';
import { createTestDatabase } from '../../../test/test-database.js';
import type { Database } from '../db/database.js';
import { type EmbeddedS3Handle, startEmbeddedS3 } from '../embedded/embedded-s3.js';
import { JobQueue } from '../jobs/job-queue.js';
import type { ObjectStore } from '../storage/object-store.js';
import { embeddedStore } from '../testing/embedded-store.js';
import { analyseStage } from './analyse-stage.js';
import { BatchProcessor } from './batch-processor.js';
import {
  type BatchOptions,
  decoderThreadsFor,
  extractStage,
  skipsNonReferenceFrames,
} from './extract-stage.js';
import { stagesOf } from './processing-repo.js';
import { findSummary, framesOf, latestKeyframes } from './results-repo.js';
import { summaryStage } from './summary-stage.js';

const log = createLogger('test', 'silent');

/** One call of the engine, and where the run stood when it came. */
interface EngineCall {
  runId: string;
  /** Which stage attempt made it: each attempt asks for the analyzer once. */
  attempt: number;
  indices: number[];
  /** Sampled frames stored for the run so far, and the extract stage's state, at the call. */
  framesStored: number;
  extractState: string;
  at: number;
}

describe('extraction and analysis overlapped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-overlap-'));
  chmodSync(dir, 0o711);
  let db: Database;
  let s3: EmbeddedS3Handle;
  let store: ObjectStore;
  let jobs: JobQueue;
  let engine: Promise<ThreadedAnalyzer>;
  let processor: BatchProcessor;
  const procedureId = randomUUID();
  const calls: EngineCall[] = [];
  /** The engine fails its call number `failAt` (1-based) of the current run once: a worker dying mid-stage. */
  let failing: { failAt: number } | undefined;

  // The real shared engine, with each call recorded (and one failure when asked).
  let attempts = 0;
  const analyzer = async () => {
    const attempt = ++attempts;
    const real = await engine;
    const record = async (frames: RgbFrame[]): Promise<void> => {
      // The run being processed: the procedure's latest (its first job may start before start() returns).
      const latest = await db.query<{ id: string }>(
        'SELECT id FROM processing_runs WHERE procedure_id = $1 ORDER BY created_at DESC LIMIT 1',
        [procedureId],
      );
      const runId = latest.rows[0]!.id;
      const { rows } = await db.query<{ n: number; state: string }>(
        `SELECT (SELECT count(*)::int FROM batch_frames WHERE run_id = $1) AS n,
                  (SELECT state FROM processing_stages WHERE run_id = $1 AND name = 'extract') AS state`,
        [runId],
      );
      calls.push({
        runId,
        attempt,
        indices: frames.map((f) => f.index),
        framesStored: rows[0]!.n,
        extractState: rows[0]!.state,
        at: Date.now(),
      });
      if (failing && calls.filter((c) => c.runId === runId).length === failing.failAt) {
        failing = undefined;
        throw new Error('the analysis thread died');
      }
    };
    return {
      models: real.models,
      analyseBatch: async (frames: RgbFrame[], scans?: readonly Scan[]): Promise<FrameAnalysis[]> => {
        await record(frames);
        return real.analyseBatch(frames, scans);
      },
      analyseLent: async (frames: RgbFrame[], scans?: readonly Scan[]) => {
        await record(frames);
        return real.analyseLent(frames, scans);
      },
    };
  };
  const options: BatchOptions = {
    sampleFps: 2,
    maxFps: 4,
    maxWidth: 640,
    batchSize: 2,
    keyframeEveryS: 2,
    textScan: 'uploads',
  };

  beforeAll(async () => {
    let url: string;
    ({ db, url } = await createTestDatabase());
    s3 = await startEmbeddedS3(join(dir, 's3'), await freePort(), 'gic-test');
    store = embeddedStore(s3);
    jobs = await JobQueue.start(url, () => {});
    // One retry: a failed attempt of a stage is run again (after pg-boss's retry delay).
    processor = new BatchProcessor(db, jobs, log, { retryLimit: 1 });
    engine = ThreadedAnalyzer.start(dir, [], log);
    await jobs.work(
      'video-extract',
      processor.stageHandler('extract', (ctx) => extractStage(ctx, { db, store, options, analyzer })),
    );
    await jobs.work(
      'video-analyse',
      processor.stageHandler('analyse', (ctx) =>
        analyseStage(ctx, { db, store, options, analyzer, keepRaw: false }),
      ),
    );
    await jobs.work(
      'video-summary',
      processor.stageHandler('summary', (ctx) => summaryStage(ctx, db)),
    );
    // A room's procedure with one verified 8-second recording.
    await db.query(
      `INSERT INTO devices (id, name, public_jwk) VALUES ('edge-room3', 'Room 3', '{}'::jsonb);
       INSERT INTO procedures (id, device_id, started_at, ended_at)
       VALUES ('${procedureId}', 'edge-room3', now() - interval '8 seconds', now());`,
    );
    const path = join(dir, 'recording.mp4');
    await generateSampleVideo(path, { seconds: 8, width: 640, height: 360 });
    const bytes = readFileSync(path);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const key = `recordings/edge-room3/${procedureId}/0.mp4`;
    await store.put(key, bytes, 'video/mp4');
    await db.query(
      `INSERT INTO recordings (id, procedure_id, device_id, object_key, size_bytes, part_size, sha256_claimed,
                               sha256_verified, status)
       VALUES ($1, $2, 'edge-room3', $3, $4, 0, $5, $5, 'available')`,
      [randomUUID(), procedureId, key, bytes.length, sha256],
    );
    await db.query(
      `INSERT INTO recording_seals (device_id, recording_id, procedure_id, segment_index, status, final, size_bytes,
                                    sha256, last_seq)
       VALUES ('edge-room3', $1, $2, 0, 'ready', true, $3, $4, 0)`,
      [randomUUID(), procedureId, bytes.length, sha256],
    );
  }, 120_000);
  afterAll(async () => {
    await jobs?.stop();
    await (await engine?.catch(() => undefined))?.close();
    store?.close();
    await s3?.stop();
    await db?.end();
  });

  /** Starts a run and waits for its summary (the export stage has no worker here). */
  async function processToSummary() {
    const runId = await processor.start(procedureId, 'rita');
    await until(
      'the summary',
      async () => {
        const stages = await stagesOf(db, runId);
        const failed = stages.find((s) => s.state === 'failed');
        if (failed) throw new Error(`${failed.name} failed: ${failed.error}`);
        return stages.find((s) => s.name === 'summary')?.state === 'completed' ? stages : undefined;
      },
      90_000,
    );
    return { runId, stages: await stagesOf(db, runId), frames: await framesOf(db, runId) };
  }

  let clean: Awaited<ReturnType<typeof processToSummary>>;

  it('analyses frames while extraction still decodes, each frame once, none left for the analyse stage', async () => {
    clean = await processToSummary();
    const mine = calls.filter((c) => c.runId === clean.runId);
    const extract = clean.stages.find((s) => s.name === 'extract')!;
    // Frames from 0 to 8 s at 2-4 a second.
    expect(clean.frames.length).toBeGreaterThanOrEqual(14);
    // The first batch reached the engine while the extract stage ran and most frames were not yet
    // stored: the bounded queue lets decoding run at most three batches (six frames) ahead.
    expect(mine[0]!.extractState).toBe('active');
    expect(mine[0]!.framesStored).toBeLessThanOrEqual(3 * options.batchSize);
    expect(mine[0]!.at).toBeLessThan(extract.finished_at!.getTime());
    // Every engine call came during extraction (the analyse stage found nothing left to analyse).
    expect(mine.every((c) => c.extractState === 'active')).toBe(true);
    const analysed = mine.flatMap((c) => c.indices).sort((a, b) => a - b);
    expect(analysed).toEqual(clean.frames.map((f) => f.frame_index));
    for (const f of clean.frames) {
      expect(f.analysis?.frameIndex).toBe(f.frame_index);
      expect(f.analysis?.ptsMs).toBe(f.t_ms);
      expect(f.object_key).toBeNull(); // the stored JPEGs are gone once the key frames were made
    }
    // A key frame (the best view) for each 2-second stretch spent in the body, made from a kept picture.
    const keyframes = await latestKeyframes(db, procedureId);
    expect(keyframes.length).toBeGreaterThan(0);
    for (const k of keyframes)
      expect((await store.readAll(k.object_key)).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  }, 120_000);

  it('a stage that dies mid-way is retried from a cleared run: each frame once, the same frames and summary', async () => {
    const summaryBefore = await findSummary(db, procedureId);
    failing = { failAt: 3 };
    const started = calls.length;
    const crashed = await processToSummary();
    const mine = calls.slice(started).filter((c) => c.runId === crashed.runId);
    expect(failing).toBeUndefined(); // the failure happened
    const extract = crashed.stages.find((s) => s.name === 'extract')!;
    expect(extract.attempts).toBe(2);
    // The second attempt began with the run cleared, after the first had stopped, and analysed every
    // frame exactly once. (Calls are told apart by attempt, not by order: two batches are at the
    // engine at once, so their records may land in either order.)
    const retryAttempt = mine.at(-1)!.attempt;
    const retry = mine.filter((c) => c.attempt === retryAttempt);
    const first = mine.filter((c) => c.attempt !== retryAttempt);
    expect(first.length).toBeGreaterThanOrEqual(3); // its third call failed
    expect(Math.max(...first.map((c) => c.at))).toBeLessThan(Math.min(...retry.map((c) => c.at)));
    expect(retry.find((c) => c.indices[0] === 0)!.framesStored).toBe(0);
    const analysed = retry.flatMap((c) => c.indices).sort((a, b) => a - b);
    expect(analysed).toEqual(crashed.frames.map((f) => f.frame_index));
    expect(new Set(analysed).size).toBe(analysed.length);
    // The same frames as the clean run, each with one analysis, and the same summary.
    expect(crashed.frames.map((f) => [f.frame_index, f.t_ms])).toEqual(
      clean.frames.map((f) => [f.frame_index, f.t_ms]),
    );
    for (const f of crashed.frames) expect(f.analysis?.frameIndex).toBe(f.frame_index);
    expect(await findSummary(db, procedureId)).toEqual(summaryBefore);
  }, 120_000);
});

describe('decoderThreadsFor', () => {
  const model = (executionProvider: string) => ({ id: 'm', version: '1', executionProvider });
  it('decodes on one thread while any model runs on the CPU, on libav’s threads when all run on a GPU', () => {
    expect(decoderThreadsFor([])).toBe(1);
    expect(decoderThreadsFor([model('cpu')])).toBe(1);
    expect(decoderThreadsFor([model('cuda'), model('cpu')])).toBe(1);
    expect(decoderThreadsFor([model('cuda'), model('tensorrt')])).toBe(0);
  });
});

describe('skipsNonReferenceFrames', () => {
  it('skips frames no other refers to only while four or more of the video’s frames stand for each frame read', () => {
    expect(skipsNonReferenceFrames(30, 3)).toBe(true);
    expect(skipsNonReferenceFrames(25, 6.25)).toBe(true);
    expect(skipsNonReferenceFrames(30, 10)).toBe(false);
    expect(skipsNonReferenceFrames(24, 30)).toBe(false);
    // A video whose rate is not known (0) decodes every frame.
    expect(skipsNonReferenceFrames(0, 1)).toBe(false);
  });
});

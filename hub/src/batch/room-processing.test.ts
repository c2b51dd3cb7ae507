import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@gic/shared/logging/logger.js';
import { readFileFrames } from '@gic/shared/media/file-frames.js';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../test/helpers.js';
import { freePort } from '../../../test/ports.js';
import { createTestDatabase } from '../../../test/test-database.js';
import type { Database } from '../db/database.js';
import { type EmbeddedS3Handle, startEmbeddedS3 } from '../embedded/embedded-s3.js';
import { ExportService } from '../exports/export-service.js';
import { JobQueue } from '../jobs/job-queue.js';
import type { ObjectStore } from '../storage/object-store.js';
import { embeddedStore } from '../testing/embedded-store.js';
import { probeVideo } from '../videos/video-probe.js';
import { BatchProcessor } from './batch-processor.js';
import { startBatchWorkers } from './batch-workers.js';
import { findSummary, latestKeyframes } from './results-repo.js';

const log = createLogger('test', 'silent');

describe('batch processing of a procedure synced from a room', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-room-batch-'));
  chmodSync(dir, 0o711);
  let db: Database;
  let s3: EmbeddedS3Handle;
  let store: ObjectStore;
  let jobs: JobQueue;
  let stopWorkers: () => Promise<void>;
  let processor: BatchProcessor;
  const procedureId = randomUUID();

  beforeAll(async () => {
    let url: string;
    ({ db, url } = await createTestDatabase());
    s3 = await startEmbeddedS3(join(dir, 's3'), await freePort(), 'gic-test');
    store = embeddedStore(s3);
    jobs = await JobQueue.start(url, () => {});
    const jobOptions = { retryLimit: 0 };
    processor = new BatchProcessor(db, jobs, log, jobOptions);
    const exports = new ExportService(db, store, jobs, log, { deviceNames: false, job: jobOptions });
    // No models: quality, in/out of body and the picture still come from the shared engine.
    stopWorkers = await startBatchWorkers({
      db,
      store,
      jobs,
      processor,
      exports,
      log,
      options: {
        sampleFps: 2,
        maxFps: 4,
        maxWidth: 640,
        batchSize: 4,
        keyframeEveryS: 1,
        textScan: 'uploads',
        modelsDir: dir,
        models: [],
        keepRaw: false,
        textThreads: 1,
      },
    });
    // A room's procedure with two verified recording segments, as the edge's uploads leave them.
    await db.query(
      `INSERT INTO devices (id, name, public_jwk) VALUES ('edge-room2', 'Room 2', '{}'::jsonb);
       INSERT INTO procedures (id, device_id, started_at, ended_at, cecum_reached_at)
       VALUES ('${procedureId}', 'edge-room2', now() - interval '4 seconds', now(), now() - interval '2 seconds');`,
    );
    for (const segment of [0, 1]) {
      const path = join(dir, `segment-${segment}.mp4`);
      await generateSampleVideo(path, { seconds: 2, width: 640, height: 360 });
      const bytes = readFileSync(path);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const key = `recordings/edge-room2/${procedureId}/${segment}.mp4`;
      await store.put(key, bytes, 'video/mp4');
      await db.query(
        `INSERT INTO recordings (id, procedure_id, device_id, object_key, size_bytes, part_size, sha256_claimed,
                                 sha256_verified, status)
         VALUES ($1, $2, 'edge-room2', $3, $4, 0, $5, $5, 'available')`,
        [randomUUID(), procedureId, key, bytes.length, sha256],
      );
      await db.query(
        `INSERT INTO recording_seals (device_id, recording_id, procedure_id, segment_index, status, final, size_bytes,
                                      sha256, last_seq)
         VALUES ('edge-room2', $1, $2, $3, 'ready', $4, $5, $6, 0)`,
        [randomUUID(), procedureId, segment, segment === 1, bytes.length, sha256],
      );
    }
  }, 120_000);
  afterAll(async () => {
    await jobs?.stop();
    await stopWorkers?.();
    store?.close();
    await s3?.stop();
    await db?.end();
  });

  it('reads the segments one after another, summarises with the cecum, and exports them joined into one video', async () => {
    await processor.start(procedureId, 'rita');
    const done = await until(
      'the run to finish',
      async () => {
        const s = await processor.status(procedureId);
        if (s.state === 'failed') throw new Error(JSON.stringify(s.stages));
        return s.state === 'completed' ? s : undefined;
      },
      120_000,
    );
    expect(done.progress).toBe(100);
    const summary = (await findSummary(db, procedureId))!;
    // Both segments were read: frames from the second one, 2..4 s.
    expect(Math.max(...summary.quality.map((q) => q.tMs))).toBeGreaterThan(2000);
    expect(summary.phases.map((p) => p.name)).toContain('withdrawal');
    expect(summary.withdrawalMs).toBeGreaterThan(1000);
    expect((await latestKeyframes(db, procedureId)).length).toBeGreaterThan(0);

    const exp = await new ExportService(db, store, jobs, log, { deviceNames: false, job: {} }).view(
      procedureId,
      60,
    );
    expect(exp.state).toBe('ready');
    const zip = join(dir, 'export.zip');
    writeFileSync(zip, Buffer.from(await (await fetch(exp.url!)).arrayBuffer()));
    execFileSync('python3', [
      '-c',
      'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); open(sys.argv[2], "wb").write(z.read("video/procedure.mp4"))',
      zip,
      join(dir, 'joined.mp4'),
    ]);
    const joined = await probeVideo(`file://${join(dir, 'joined.mp4')}`);
    expect(joined.width).toBe(640);
    // Fragmented MP4 written as a stream declares no total duration: the frames are counted (4 s at 10 fps).
    let frames = 0;
    for await (const _ of readFileFrames(join(dir, 'joined.mp4'), { width: 160, height: 90, fps: 10 }))
      frames++;
    expect(frames).toBeGreaterThanOrEqual(38);
    expect(frames).toBeLessThanOrEqual(42);
  }, 180_000);
});

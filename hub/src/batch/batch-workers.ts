import { ThreadedAnalyzer } from '@gic/shared/analysis/threaded-analyzer.js';
import type { Logger } from '@gic/shared/logging/logger.js';
import type { Database } from '../db/database.js';
import type { ExportService } from '../exports/export-service.js';
import type { JobQueue } from '../jobs/job-queue.js';
import type { ObjectStore } from '../storage/object-store.js';
import { analyseStage } from './analyse-stage.js';
import type { BatchProcessor } from './batch-processor.js';
import { type BatchOptions, extractStage } from './extract-stage.js';
import { summaryStage } from './summary-stage.js';

export interface BatchWorkerDeps {
  db: Database;
  store: ObjectStore;
  jobs: JobQueue;
  processor: BatchProcessor;
  exports: ExportService;
  log: Logger;
  options: BatchOptions & {
    modelsDir: string;
    models: string[];
    keepRaw: boolean;
    /** Threads of one text model run (the text scan of raw uploads; see AnalyzerOptions.textThreads). */
    textThreads: number;
  };
}

/**
 * Takes this process's share of batch processing: one handler per stage queue. The engine (the
 * shared analysis the edge runs) loads in its own thread on the first analysis. Returns a stop that
 * ends that thread.
 */
export async function startBatchWorkers(deps: BatchWorkerDeps): Promise<() => Promise<void>> {
  const { db, store, jobs, processor, exports, log, options } = deps;
  // The engine runs in a thread of its own (the edge's ThreadedAnalyzer: onnxruntime-node runs models
  // synchronously on the calling thread, which would stall the API, broker and ingest), started on the
  // first analysis; a start that failed is tried again by the next one.
  let started: Promise<ThreadedAnalyzer> | undefined;
  const engine = () => {
    started ??= ThreadedAnalyzer.start(options.modelsDir, options.models, log, {
      textThreads: options.textThreads,
    }).catch((err: Error) => {
      started = undefined;
      throw err;
    });
    return started;
  };
  await jobs.work(
    'video-extract',
    processor.stageHandler('extract', (ctx) => extractStage(ctx, { db, store, options, analyzer: engine })),
  );
  await jobs.work(
    'video-analyse',
    processor.stageHandler('analyse', (ctx) =>
      analyseStage(ctx, { db, store, options, analyzer: engine, keepRaw: options.keepRaw }),
    ),
  );
  await jobs.work(
    'video-summary',
    processor.stageHandler(
      'summary',
      (ctx) => summaryStage(ctx, db),
      (_runId, procedureId) => exports.create(procedureId, 'processing'),
    ),
  );
  const inRun = processor.stageHandler<{ runId?: string; exportId: string }>('export', (ctx, payload) =>
    exports.build(payload.exportId, ctx.progress, true),
  );
  await jobs.work('video-export', async (payload, meta) => {
    if (payload.runId) await inRun(payload, meta);
    else await exports.build(payload.exportId, async () => {}, meta.retryCount >= meta.retryLimit);
  });
  return async () => {
    const analyzer = await started?.catch(() => undefined);
    await analyzer?.close();
  };
}

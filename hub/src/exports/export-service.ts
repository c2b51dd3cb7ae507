import { randomUUID } from 'node:crypto';
import type { Logger } from '@gic/shared/logging/logger.js';
import type { Database } from '../db/database.js';
import type { JobQueue, JobSendOptions } from '../jobs/job-queue.js';
import { MultipartWriter } from '../storage/multipart-writer.js';
import type { ObjectStore } from '../storage/object-store.js';
import { findVideo } from '../videos/videos-repo.js';
import { writeBundle } from './export-bundle.js';
import {
  type ExportPurpose,
  findExport,
  insertExport,
  latestExport,
  setExportState,
} from './exports-repo.js';
import { unseenCheck, ZipWriter } from './zip-writer.js';

/** `GET /api/v1/videos/{id}/export`. */
export interface ExportView {
  state: 'none' | 'waiting' | 'active' | 'ready' | 'failed';
  /** Clinical (the default) or teaching: with no conversation typed in the room, no device name. */
  purpose: ExportPurpose | null;
  url: string | null;
  bytes: number | null;
  sha256: string | null;
  error: string | null;
}

/** Export bundles: requested, built by a job as a ZIP streamed to the object store, fetched by presigned URL. */
export class ExportService {
  constructor(
    private readonly db: Database,
    private readonly store: ObjectStore,
    private readonly jobs: JobQueue,
    private readonly log: Logger,
    private readonly options: { deviceNames: boolean; job: JobSendOptions },
  ) {}

  /** A new export record; throws (with the reason) when the video may not leave yet. */
  async create(procedureId: string, by: string, purpose: ExportPurpose = 'clinical'): Promise<string> {
    const video = await findVideo(this.db, procedureId);
    if (video?.source === 'upload' && !video.masked_verified_at)
      throw new Error('the upload is not de-identified yet: wait for processing');
    const id = randomUUID();
    await insertExport(this.db, id, procedureId, by, purpose);
    return id;
  }

  /** Queues an export on request; one of the same purpose already waiting or building is returned instead. */
  async request(procedureId: string, by: string, purpose: ExportPurpose = 'clinical'): Promise<string> {
    const current = await latestExport(this.db, procedureId, purpose);
    if (current && (current.state === 'waiting' || current.state === 'active')) return current.id;
    const id = await this.create(procedureId, by, purpose);
    await this.jobs.send('video-export', { exportId: id }, this.options.job);
    return id;
  }

  /** The newest export (of `purpose`, when named) and a short-lived URL to it once ready. */
  async view(procedureId: string, urlTtlSeconds: number, purpose?: ExportPurpose): Promise<ExportView> {
    const e = await latestExport(this.db, procedureId, purpose);
    if (!e) return { state: 'none', purpose: null, url: null, bytes: null, sha256: null, error: null };
    return {
      state: e.state,
      purpose: e.purpose,
      url:
        e.state === 'ready' && e.object_key
          ? await this.store.presignGet(e.object_key, {
              expiresIn: urlTtlSeconds,
              filename: `gic-export-${e.id.slice(0, 8)}.zip`,
              contentType: 'application/zip',
            })
          : null,
      bytes: e.bytes === null ? null : Number(e.bytes),
      sha256: e.sha256,
      error: e.error,
    };
  }

  /** Builds the bundle (the job's work). Idempotent: a ready export is left as it is. */
  async build(exportId: string, progress: (share: number) => Promise<void>, final: boolean): Promise<void> {
    const e = await findExport(this.db, exportId);
    if (!e || e.state === 'ready') return;
    await setExportState(this.db, exportId, 'active');
    const key = `exports/${exportId}.zip`;
    const writer = await MultipartWriter.open(this.store, key, 'application/zip');
    try {
      const zip = new ZipWriter((chunk) => writer.write(chunk));
      await writeBundle(
        zip,
        {
          db: this.db,
          store: this.store,
          deviceNames: this.options.deviceNames,
          purpose: e.purpose,
          copy: (source, bytes) => writer.copy(source, 0, bytes),
        },
        e.procedure_id,
        progress,
      );
      await zip.finish();
      // The video copied on the store's server is checked on the read back that gives the ZIP's SHA-256.
      const check = unseenCheck(zip.unseen);
      const { bytes, sha256 } = await writer.close(check.observe);
      check.verify();
      await setExportState(this.db, exportId, 'ready', { key, bytes, sha256 });
      this.log.info({ exportId, procedureId: e.procedure_id, bytes, sha256 }, 'export ready');
    } catch (err) {
      await writer.abort();
      const error = (err as Error).message;
      await setExportState(this.db, exportId, final ? 'failed' : 'waiting', { error });
      throw err;
    }
  }
}

import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { Logger } from '@gic/shared/logging/logger.js';
import { type HubClient, HubError } from '../sync/hub-client.js';
import type { RecordingRow, RecordingsStore } from './recordings-store.js';

interface UploadView {
  uploadId: string;
  status: 'uploading' | 'verifying' | 'available' | 'corrupt' | 'aborted';
  partSizeBytes: number;
  partCount: number;
  error: string | null;
}

export interface UploadProgress {
  recordingId: string;
  partsDone: number;
  partCount: number;
  bytesDone: number;
  status: string;
}

async function readPart(path: string, offset: number, length: number): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await file.read(buffer, 0, length, offset);
    if (bytesRead !== length) throw new Error(`recording ${path} is shorter than when it was hashed`);
    return buffer;
  } finally {
    await file.close();
  }
}

/**
 * Uploads finished recordings by S3 multipart with URLs the hub presigns (the device never holds
 * storage credentials). Each part's ETag and SHA-256 go into SQLite as soon as it is stored, so a
 * restarted device resumes from the parts it has, without asking the server for a list.
 */
export class RecordingUploader {
  progress?: UploadProgress;

  constructor(
    private readonly store: RecordingsStore,
    private readonly hub: HubClient,
    private readonly log: Logger,
    private readonly partSizeBytes: number,
    /** Average upload rate cap (bytes/s), so uploads do not starve the live path; 0 = none. */
    private readonly maxBytesPerSecond = 0,
  ) {}

  /** Uploads (or resumes) one recording and waits until the hub has verified it. */
  async upload(recordingId: string, signal?: AbortSignal): Promise<'verified' | 'failed'> {
    const recording = this.store.get(recordingId);
    if (!recording || recording.size_bytes === null || !recording.sha256)
      throw new Error(`recording ${recordingId} is not ready`);
    const view = await this.hub.request<UploadView>('POST', '/api/v1/uploads', {
      procedureId: recording.procedure_id,
      sizeBytes: recording.size_bytes,
      sha256: recording.sha256,
      partSizeBytes: this.partSizeBytes,
    });
    if (recording.upload_id !== view.uploadId) this.store.clearParts(recordingId);
    this.store.setStatus(recordingId, 'uploading', { uploadId: view.uploadId, partSize: view.partSizeBytes });
    if (view.status === 'uploading') await this.sendParts(recording, view, signal);
    return this.awaitVerification(recordingId, view.uploadId, signal);
  }

  private async sendParts(recording: RecordingRow, view: UploadView, signal?: AbortSignal) {
    const done = new Map(this.store.parts(recording.id).map((p) => [p.partNumber, p]));
    const size = recording.size_bytes!;
    const missing = Array.from({ length: view.partCount }, (_, i) => i + 1).filter((n) => !done.has(n));
    this.progress = {
      recordingId: recording.id,
      partsDone: done.size,
      partCount: view.partCount,
      bytesDone: [...done.values()].reduce((s, p) => s + p.sizeBytes, 0),
      status: 'uploading',
    };
    const started = performance.now();
    let sentBytes = 0;
    for (let i = 0; i < missing.length; i += 20) {
      const batch = missing.slice(i, i + 20);
      const { parts } = await this.hub.request<{ parts: { partNumber: number; url: string }[] }>(
        'POST',
        `/api/v1/uploads/${view.uploadId}/parts`,
        { partNumbers: batch },
      );
      for (const { partNumber, url } of parts) {
        signal?.throwIfAborted();
        const offset = (partNumber - 1) * view.partSizeBytes;
        const body = await readPart(recording.path, offset, Math.min(view.partSizeBytes, size - offset));
        const res = await fetch(url, {
          method: 'PUT',
          body: new Uint8Array(body),
          signal: AbortSignal.timeout(120_000),
        });
        const etag = res.headers.get('etag');
        if (!res.ok || !etag) throw new Error(`part ${partNumber} refused by object store: ${res.status}`);
        const sha256 = createHash('sha256').update(body).digest('hex');
        this.store.addPart(recording.id, { partNumber, etag, sha256, sizeBytes: body.length });
        this.progress.partsDone++;
        this.progress.bytesDone += body.length;
        sentBytes += body.length;
        if (this.maxBytesPerSecond > 0) {
          const ahead = (sentBytes / this.maxBytesPerSecond) * 1000 - (performance.now() - started);
          if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
        }
      }
    }
    const parts = this.store.parts(recording.id).map((p) => ({ partNumber: p.partNumber, etag: p.etag }));
    await this.hub.request('POST', `/api/v1/uploads/${view.uploadId}/complete`, { parts });
    this.store.setStatus(recording.id, 'verifying');
    this.progress.status = 'verifying';
  }

  private async awaitVerification(recordingId: string, uploadId: string, signal?: AbortSignal) {
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      const view = await this.hub.request<UploadView>('GET', `/api/v1/uploads/${uploadId}`);
      if (view.status === 'available') {
        this.store.setStatus(recordingId, 'verified');
        if (this.progress) this.progress.status = 'verified';
        this.log.info({ recordingId, uploadId }, 'recording uploaded and verified by the hub');
        return 'verified';
      }
      if (view.status === 'corrupt' || view.status === 'aborted') {
        this.store.setStatus(recordingId, 'failed', { error: view.error ?? view.status });
        this.log.error({ recordingId, error: view.error }, 'hub rejected the uploaded recording');
        return 'failed';
      }
      await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** Math.min(attempt, 5))));
    }
  }
}

export { HubError };

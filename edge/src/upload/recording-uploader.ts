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
 * Presigned part URLs from the hub, asked for 20 at a time as the parts are reached (a URL is
 * short-lived, so a long capped upload does not ask for all of them at its start).
 */
class PresignedParts {
  private readonly urls = new Map<number, string>();
  private pending?: Promise<void>;
  private asked = 0;

  constructor(
    private readonly hub: HubClient,
    private readonly uploadId: string,
    private readonly order: number[],
  ) {}

  async get(partNumber: number): Promise<string> {
    for (;;) {
      const url = this.urls.get(partNumber);
      if (url) {
        this.urls.delete(partNumber);
        return url;
      }
      this.pending ??= this.fetchNext().finally(() => {
        this.pending = undefined;
      });
      await this.pending;
    }
  }

  private async fetchNext() {
    const batch = this.order.slice(this.asked, this.asked + 20);
    if (batch.length === 0) throw new Error('no presigned URL left for a part');
    this.asked += batch.length;
    const { parts } = await this.hub.request<{ parts: { partNumber: number; url: string }[] }>(
      'POST',
      `/api/v1/uploads/${this.uploadId}/parts`,
      { partNumbers: batch },
    );
    for (const { partNumber, url } of parts) this.urls.set(partNumber, url);
  }
}

/**
 * Spreads part starts over time so that the average rate stays under the cap however many parts are
 * in flight: each part takes the next slot, `bytes / rate` after the one before.
 */
class Pacer {
  private nextAt = performance.now();

  constructor(private readonly bytesPerSecond: number) {}

  async wait(bytes: number, signal: AbortSignal) {
    if (this.bytesPerSecond <= 0) return;
    const now = performance.now();
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + (bytes / this.bytesPerSecond) * 1000;
    if (at > now) await sleep(at - now, signal);
  }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Uploads finished recordings by S3 multipart with URLs the hub presigns (the device never holds
 * storage credentials). Each part's ETag and SHA-256 go into SQLite as soon as it is stored, so a
 * restarted device resumes from the parts it has, without asking the server for a list. Several
 * parts are in flight at once (`parallelParts`); a part is recorded only once the store has it, so a
 * crash sends again only what was not recorded.
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
    /** Parts in flight at once. */
    private readonly parallelParts = 3,
  ) {
    if (!Number.isInteger(parallelParts) || parallelParts < 1)
      throw new Error(`parts in flight must be a whole number of 1 or more, not ${parallelParts}`);
  }

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

  private async sendParts(recording: RecordingRow, view: UploadView, outer?: AbortSignal) {
    const done = new Map(this.store.parts(recording.id).map((p) => [p.partNumber, p]));
    const size = recording.size_bytes!;
    const missing = Array.from({ length: view.partCount }, (_, i) => i + 1).filter((n) => !done.has(n));
    const progress: UploadProgress = {
      recordingId: recording.id,
      partsDone: done.size,
      partCount: view.partCount,
      bytesDone: [...done.values()].reduce((s, p) => s + p.sizeBytes, 0),
      status: 'uploading',
    };
    this.progress = progress;
    // One failed part stops the others (their parts are sent again on the next attempt); a part whose
    // PUT came back after that is not recorded, so only what SQLite holds counts as sent.
    const stop = new AbortController();
    const signal = outer ? AbortSignal.any([outer, stop.signal]) : stop.signal;
    const urls = new PresignedParts(this.hub, view.uploadId, missing);
    const pace = new Pacer(this.maxBytesPerSecond);
    let next = 0;
    const worker = async () => {
      while (next < missing.length) {
        signal.throwIfAborted();
        const partNumber = missing[next++]!;
        const url = await urls.get(partNumber);
        const offset = (partNumber - 1) * view.partSizeBytes;
        const length = Math.min(view.partSizeBytes, size - offset);
        // Read first, so that the send starts on its slot (what the cap paces is what goes out).
        const body = await readPart(recording.path, offset, length);
        await pace.wait(length, signal);
        const res = await fetch(url, {
          method: 'PUT',
          body: new Uint8Array(body),
          signal: AbortSignal.any([signal, AbortSignal.timeout(120_000)]),
        });
        const etag = res.headers.get('etag');
        if (!res.ok || !etag) throw new Error(`part ${partNumber} refused by object store: ${res.status}`);
        signal.throwIfAborted();
        const sha256 = createHash('sha256').update(body).digest('hex');
        this.store.addPart(recording.id, { partNumber, etag, sha256, sizeBytes: body.length });
        progress.partsDone++;
        progress.bytesDone += body.length;
      }
    };
    const workers = Array.from({ length: Math.min(this.parallelParts, missing.length) }, () =>
      worker().catch((err: unknown) => {
        stop.abort(err);
        throw err;
      }),
    );
    const outcomes = await Promise.allSettled(workers);
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw outer?.aborted ? outer.reason : (stop.signal.reason ?? failed.reason);
    const parts = this.store.parts(recording.id).map((p) => ({ partNumber: p.partNumber, etag: p.etag }));
    await this.hub.request('POST', `/api/v1/uploads/${view.uploadId}/complete`, { parts });
    this.store.setStatus(recording.id, 'verifying');
    progress.status = 'verifying';
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
      // Often at first (a recording of tens of MB is verified within a second), then backing off.
      await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 1.25 ** Math.min(attempt, 20))));
    }
  }
}

export { HubError };

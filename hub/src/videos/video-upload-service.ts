import { createHash, type Hash, randomUUID } from 'node:crypto';
import type { Logger } from '@gic/shared/logging/logger.js';
import { type Database, inTransaction } from '../db/database.js';
import type { ObjectStore } from '../storage/object-store.js';
import { NotAVideoError, probeVideo } from './video-probe.js';
import {
  appendUploadPart,
  findVideoUpload,
  insertVideoUpload,
  setUploadStatus,
  type VideoUploadRow,
} from './video-uploads-repo.js';
import { findVideo, insertUploadedVideo } from './videos-repo.js';

/** An upload request the hub refuses, with the HTTP status that says why. */
export class UploadRefused extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 411 | 413 | 415,
    message: string,
    readonly offset?: number,
  ) {
    super(message);
    this.name = 'UploadRefused';
  }
}

export interface UploadLimits {
  /** Largest video accepted (bytes). */
  maxBytes: number;
  /** Bytes per stored part: chunks are kept in whole parts (S3: at least 5 MiB but the last). */
  partBytes: number;
}

export interface UploadedVideo {
  id: string;
  procedureId: string;
  sha256: string;
  bytes: number;
  durationMs: number;
}

/**
 * Uploads of videos by users, streamed to the object store part by part (never whole in memory:
 * at most one part is held), hashed with SHA-256 on the way, probed with GStreamer when complete.
 * Resumable: each stored part is recorded, so a client asks where the upload stands and sends the
 * rest. The running SHA-256 lives in this process; an upload resumed elsewhere (another API process,
 * a restart) is hashed by reading the object back once complete.
 */
export class VideoUploadService {
  private readonly hashes = new Map<string, { hash: Hash; offset: number }>();

  constructor(
    private readonly db: Database,
    private readonly store: ObjectStore,
    private readonly log: Logger,
    readonly limits: UploadLimits,
  ) {}

  /** Starts an upload of `bytesTotal` bytes for user `userId`; the video will belong to `site`. */
  async create(userId: string, bytesTotal: number, site: string | null = null): Promise<VideoUploadRow> {
    if (!Number.isSafeInteger(bytesTotal) || bytesTotal <= 0)
      throw new UploadRefused(400, 'the upload length must be a whole number of bytes over 0');
    if (bytesTotal > this.limits.maxBytes)
      throw new UploadRefused(
        413,
        `a video may have at most ${this.limits.maxBytes} bytes, not ${bytesTotal}`,
      );
    const id = randomUUID();
    const key = `uploads/raw/${id}`;
    const s3UploadId = await this.store.startMultipart(key, 'application/octet-stream');
    await insertVideoUpload(this.db, {
      id,
      createdBy: userId,
      key,
      s3UploadId,
      bytesTotal,
      partSize: this.limits.partBytes,
      site,
    });
    this.hashes.set(id, { hash: createHash('sha256'), offset: 0 });
    return (await findVideoUpload(this.db, id))!;
  }

  /** The upload, if it is this user's (admins see every one). */
  async get(id: string, userId: string, admin: boolean): Promise<VideoUploadRow> {
    const row = await findVideoUpload(this.db, id);
    if (!row || (!admin && row.created_by !== userId)) throw new UploadRefused(404, 'no such upload');
    return row;
  }

  /**
   * Appends `body`, which the client sends from `offset`: stored in whole parts; a tail shorter than
   * a part (and not the end of the video) is not kept, and the returned offset says where to go on.
   */
  async append(row: VideoUploadRow, offset: number, body: AsyncIterable<Uint8Array>): Promise<number> {
    const total = Number(row.bytes_total);
    let at = Number(row.bytes_received);
    if (row.status !== 'receiving') throw new UploadRefused(409, `the upload is ${row.status}`, at);
    if (offset !== at) throw new UploadRefused(409, `the upload is at byte ${at}, not ${offset}`, at);
    const running = this.hashes.get(row.id);
    if (running && running.offset !== at) this.hashes.delete(row.id);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const store = async () => {
      const part = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      const partNumber = row.parts.length + 1;
      const etag = await this.store.uploadPart(row.object_key, row.s3_upload_id, partNumber, part);
      const sha256 = createHash('sha256').update(part).digest('hex');
      if (!(await appendUploadPart(this.db, row.id, at, { partNumber, etag, sha256 }, part.length)))
        throw new UploadRefused(409, 'another request appended to this upload at the same time', at);
      row.parts.push({ partNumber, etag, sha256 });
      const hash = this.hashes.get(row.id);
      if (hash?.offset === at) {
        hash.hash.update(part);
        hash.offset += part.length;
      }
      at += part.length;
    };
    for await (const chunk of body) {
      if (at + pendingBytes + chunk.length > total)
        throw new UploadRefused(400, `the body goes past the declared length of ${total} bytes`, at);
      let rest = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      while (rest.length > 0) {
        const take = Math.min(rest.length, row.part_size - pendingBytes);
        pending.push(Buffer.from(rest.subarray(0, take)));
        pendingBytes += take;
        rest = rest.subarray(take);
        if (pendingBytes === row.part_size) await store();
      }
    }
    if (pendingBytes > 0 && at + pendingBytes === total) await store();
    return at;
  }

  /**
   * Completes the upload: the object is assembled, hashed (if not already on the way), probed with
   * GStreamer, and becomes a procedure. A file GStreamer cannot decode is deleted and refused (415).
   */
  async complete(row: VideoUploadRow, username: string): Promise<UploadedVideo> {
    if (row.status === 'done' && row.procedure_id) return this.uploaded(row.procedure_id);
    const total = Number(row.bytes_total);
    const received = Number(row.bytes_received);
    if (row.status !== 'receiving') throw new UploadRefused(409, `the upload is ${row.status}`, received);
    if (received !== total)
      throw new UploadRefused(409, `the upload has ${received} of ${total} bytes`, received);
    if (!(await setUploadStatus(this.db, row.id, ['receiving'], 'probing')))
      throw new UploadRefused(409, 'the upload is being completed by another request', received);
    try {
      try {
        await this.store.completeMultipart(
          row.object_key,
          row.s3_upload_id,
          row.parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
        );
      } catch (err) {
        // Completed already by an earlier try that failed later on: the object is whole.
        if ((await this.store.size(row.object_key)) !== total) throw err;
      }
      const running = this.hashes.get(row.id);
      this.hashes.delete(row.id);
      const sha256 =
        running?.offset === total
          ? running.hash.digest('hex')
          : (await this.store.sha256(row.object_key)).sha256;
      const url = await this.store.presignGet(row.object_key, { internal: true, expiresIn: 600 });
      const facts = await probeVideo(url);
      const procedureId = randomUUID();
      await inTransaction(this.db, async (client) => {
        await insertUploadedVideo(client, {
          procedureId,
          rawKey: row.object_key,
          facts,
          bytes: total,
          sha256,
          createdBy: username,
          site: row.site,
        });
        await setUploadStatus(client, row.id, ['probing'], 'done', { procedureId });
      });
      this.log.info({ uploadId: row.id, procedureId, bytes: total, sha256, ...facts }, 'video uploaded');
      return { id: procedureId, procedureId, sha256, bytes: total, durationMs: facts.durationMs };
    } catch (err) {
      const refused = err instanceof NotAVideoError;
      await setUploadStatus(this.db, row.id, ['probing'], refused ? 'refused' : 'receiving', {
        error: (err as Error).message,
      });
      if (refused) {
        await this.store.delete(row.object_key).catch(() => {});
        throw new UploadRefused(415, `not a video GStreamer can decode: ${err.message}`);
      }
      throw err;
    }
  }

  private async uploaded(procedureId: string): Promise<UploadedVideo> {
    const v = (await findVideo(this.db, procedureId))!;
    return {
      id: procedureId,
      procedureId,
      sha256: v.sha256!,
      bytes: Number(v.bytes),
      durationMs: Number(v.duration_ms),
    };
  }
}

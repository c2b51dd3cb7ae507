import { randomUUID } from 'node:crypto';
import { readJson } from '@gic/shared/http/request-context.js';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { Database } from '../db/database.js';
import type { JobQueue } from '../jobs/job-queue.js';
import { ensureProcedure } from '../procedures/procedure-writes.js';
import type { ObjectStore } from '../storage/object-store.js';
import {
  findOpenRecording,
  findRecording,
  insertRecording,
  transitionRecording,
} from '../uploads/recordings-repo.js';
import { requireDevice } from './auth-middleware.js';
import type { HubEnv } from './hub-env.js';

const MIB = 1024 * 1024;
const MAX_PARTS = 10_000; // S3's limit
const MAX_BYTES = 5 * 1024 * MIB * MAX_PARTS;

export const startSchema = z.object({
  procedureId: z.uuid(),
  sizeBytes: z.number().int().positive().max(MAX_BYTES),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  contentType: z.literal('video/mp4').default('video/mp4'),
  /** Preferred part size; S3 wants 5 MiB or more for every part but the last. */
  partSizeBytes: z
    .number()
    .int()
    .min(5 * MIB)
    .max(512 * MIB)
    .default(8 * MIB),
});
export const partsSchema = z.object({
  partNumbers: z.array(z.number().int().min(1).max(MAX_PARTS)).min(1).max(100),
});
export const completeSchema = z.object({
  parts: z
    .array(z.object({ partNumber: z.number().int().min(1).max(MAX_PARTS), etag: z.string().min(1).max(200) }))
    .min(1)
    .max(MAX_PARTS),
});

export interface UploadRoutesOptions {
  db: Database;
  store: ObjectStore;
  /** Where verification jobs go; absent in a process without a queue connection. */
  jobs: JobQueue;
}

/** Recording uploads by a device: start (or resume), presign parts, complete, status. */
export function uploadRoutes({ db, store, jobs }: UploadRoutesOptions) {
  async function ownRecording(id: string, deviceId: string) {
    if (!z.uuid().safeParse(id).success)
      throw new HTTPException(400, { message: 'upload id must be a UUID' });
    const recording = await findRecording(db, id);
    if (!recording || recording.device_id !== deviceId)
      throw new HTTPException(404, { message: 'no such upload' });
    return recording;
  }
  const view = (r: NonNullable<Awaited<ReturnType<typeof findRecording>>>) => ({
    uploadId: r.id,
    status: r.status,
    sizeBytes: Number(r.size_bytes),
    partSizeBytes: r.part_size,
    partCount: Math.ceil(Number(r.size_bytes) / r.part_size),
    sha256: r.sha256_claimed,
    verifiedSha256: r.sha256_verified,
    error: r.error,
  });

  return new Hono<HubEnv>()
    .use('*', requireDevice(db))
    .post('/', async (c) => {
      const body = await readJson(c, startSchema);
      const deviceId = c.get('deviceId')!;
      try {
        await ensureProcedure(db, body.procedureId, deviceId);
      } catch (err) {
        throw new HTTPException(403, { message: (err as Error).message });
      }
      const open = await findOpenRecording(db, body.procedureId, body.sha256);
      if (open) return c.json(view(open));
      const partSize = Math.max(body.partSizeBytes, Math.ceil(body.sizeBytes / MAX_PARTS));
      const id = randomUUID();
      const key = `recordings/${deviceId}/${body.procedureId}/${id}.mp4`;
      const uploadId = await store.startMultipart(key, body.contentType);
      await insertRecording(db, {
        id,
        procedureId: body.procedureId,
        deviceId,
        key,
        uploadId,
        size: body.sizeBytes,
        partSize,
        sha256: body.sha256,
      });
      c.get('log').info({ recordingId: id, deviceId, bytes: body.sizeBytes }, 'upload started');
      return c.json(view((await findRecording(db, id))!), 201);
    })
    .post('/:id/parts', async (c) => {
      const recording = await ownRecording(c.req.param('id'), c.get('deviceId')!);
      if (recording.status !== 'uploading')
        throw new HTTPException(409, { message: `upload is ${recording.status}` });
      const { partNumbers } = await readJson(c, partsSchema);
      const partCount = Math.ceil(Number(recording.size_bytes) / recording.part_size);
      const beyond = partNumbers.find((n) => n > partCount);
      if (beyond)
        throw new HTTPException(400, { message: `part ${beyond} is beyond the last part (${partCount})` });
      const urls = await Promise.all(
        partNumbers.map(async (partNumber) => ({
          partNumber,
          url: await store.presignPart(recording.object_key, recording.upload_id!, partNumber),
        })),
      );
      return c.json({ parts: urls });
    })
    .post('/:id/complete', async (c) => {
      const recording = await ownRecording(c.req.param('id'), c.get('deviceId')!);
      if (recording.status !== 'uploading') return c.json(view(recording), 200);
      const { parts } = await readJson(c, completeSchema);
      const partCount = Math.ceil(Number(recording.size_bytes) / recording.part_size);
      const numbers = parts.map((p) => p.partNumber).sort((a, b) => a - b);
      if (numbers.length !== partCount || numbers.some((n, i) => n !== i + 1)) {
        throw new HTTPException(400, { message: `expected parts 1..${partCount}, each once` });
      }
      try {
        await store.completeMultipart(recording.object_key, recording.upload_id!, parts);
      } catch (err) {
        throw new HTTPException(409, {
          message: `object store refused to complete: ${(err as Error).message}`,
        });
      }
      await transitionRecording(db, recording.id, ['uploading'], 'verifying');
      await jobs.send('verify-recording', { recordingId: recording.id });
      return c.json(view((await findRecording(db, recording.id))!), 202);
    })
    .get('/:id', async (c) => c.json(view(await ownRecording(c.req.param('id'), c.get('deviceId')!))));
}

import { z } from 'zod';
import { EXPORT_PURPOSES } from '../exports/exports-repo.js';

/** The procedure id a video is addressed by. */
export const videoIdSchema = z.uuid();

/** `POST /api/v1/videos/upload/sessions`: a resumable upload of `bytes` bytes. */
export const uploadSessionSchema = z.object({ bytes: z.number().int().positive() });

/** `Upload-Offset` of a PATCH: where this chunk starts (bytes). */
export const uploadOffsetSchema = z.coerce.number().int().min(0);

/** `POST /api/v1/jobs/{queue}/{jobId}/retry`: a pg-boss job id. */
export const jobIdSchema = z.uuid();

/** `POST /api/v1/videos/{id}/export` (the body is optional): what the bundle is for. */
export const exportRequestSchema = z
  .object({ purpose: z.enum(EXPORT_PURPOSES).default('clinical') })
  .strict();

/** `GET /api/v1/videos/{id}/export?purpose=`: the newest export of that purpose (any, when absent). */
export const exportQuerySchema = z.object({ purpose: z.enum(EXPORT_PURPOSES).optional() }).strict();

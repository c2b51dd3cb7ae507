import { z } from 'zod';

/** The procedure id a video is addressed by. */
export const videoIdSchema = z.uuid();

/** `POST /api/v1/videos/upload/sessions`: a resumable upload of `bytes` bytes. */
export const uploadSessionSchema = z.object({ bytes: z.number().int().positive() });

/** `Upload-Offset` of a PATCH: where this chunk starts (bytes). */
export const uploadOffsetSchema = z.coerce.number().int().min(0);

/** `POST /api/v1/jobs/{queue}/{jobId}/retry`: a pg-boss job id. */
export const jobIdSchema = z.uuid();

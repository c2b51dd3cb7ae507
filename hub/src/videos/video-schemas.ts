import { z } from 'zod';
import { siteNameSchema } from '../auth/site-scope.js';

/** The procedure id a video is addressed by. */
export const videoIdSchema = z.uuid();

/**
 * `POST /api/v1/videos/upload/sessions`: a resumable upload of `bytes` bytes, for `site` (one of the
 * uploader's; absent: their only one).
 */
export const uploadSessionSchema = z.object({
  bytes: z.number().int().positive(),
  site: siteNameSchema.optional(),
});

/** `POST /api/v1/videos/upload?site=`: the site of a video uploaded in one request. */
export const uploadSiteQuerySchema = z.object({ site: siteNameSchema.optional() });

/** `Upload-Offset` of a PATCH: where this chunk starts (bytes). */
export const uploadOffsetSchema = z.coerce.number().int().min(0);

/** `POST /api/v1/jobs/{queue}/{jobId}/retry`: a pg-boss job id. */
export const jobIdSchema = z.uuid();

import { z } from 'zod';
import { siteNameSchema } from '../auth/site-scope.js';
import { EXPORT_PURPOSES } from '../exports/exports-repo.js';

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

/** `POST /api/v1/videos/{id}/export` (the body is optional): what the bundle is for. */
export const exportRequestSchema = z
  .object({ purpose: z.enum(EXPORT_PURPOSES).default('clinical') })
  .strict();

/** `GET /api/v1/videos/{id}/export?purpose=`: the newest export of that purpose (any, when absent). */
export const exportQuerySchema = z.object({ purpose: z.enum(EXPORT_PURPOSES).optional() }).strict();

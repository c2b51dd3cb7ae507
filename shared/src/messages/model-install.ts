import { z } from 'zod';

/** A model id as manifests spell it (`models/{id}.json`). */
export const modelIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lowercase letters, digits, dashes');
/** A model version: safe as a folder name. */
export const modelVersionSchema = z
  .string()
  .regex(/^[A-Za-z0-9][\w.+-]{0,49}$/, 'letters, digits, and . _ + - (at most 50)');

/**
 * The payload of an `install-model` command (hub -> box). `install`: download each file by its
 * presigned URL, check its SHA-256, switch when no procedure runs, then check the model's health.
 * `rollback`: put back the version the box kept in `models/.previous/{id}/` (no network).
 */
export const modelInstallSchema = z.object({
  action: z.enum(['install', 'rollback']),
  modelId: modelIdSchema,
  version: modelVersionSchema,
  /** The model's manifest (checked on the box against the manifest schema); with `install`. */
  manifest: z.record(z.string(), z.unknown()).optional(),
  files: z
    .array(
      z.object({
        name: z.string().regex(/^[\w.-]+$/),
        url: z.url(),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
      }),
    )
    .max(20)
    .default([]),
  /** The health check's bound on one inference of the reference frame (ms). */
  maxLatencyMs: z.number().int().min(1).max(60_000).default(2000),
});
export type ModelInstall = z.infer<typeof modelInstallSchema>;

import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const fileSchema = z.object({
  name: z.string().regex(/^[\w.-]+$/),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
  /** Where it comes from when it is not placed beside the manifest: a file inside an npm package. */
  npm: z.object({ package: z.string().min(1), path: z.string().min(1) }).optional(),
});

/** A model manifest: everything needed to load, feed and read a model, validated at load. */
export const modelManifestSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/),
  version: z.string().min(1).max(50),
  task: z.enum([
    'text-detection',
    'text-recognition',
    'face-detection',
    'polyp-detection',
    'polyp-segmentation',
    'vlm',
  ]),
  files: z.array(fileSchema).min(1),
  input: z.object({
    name: z.string().min(1),
    layout: z.enum(['NCHW', 'NHWC']),
    colorOrder: z.enum(['RGB', 'BGR']),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    /** Per channel, applied after scaling to 0..1, in colorOrder order. */
    mean: z.tuple([z.number(), z.number(), z.number()]),
    std: z.tuple([z.number(), z.number(), z.number()]),
  }),
  output: z.object({
    /**
     * probability-map: DB text detection; ctc: a text recogniser's per-step class probabilities (its
     * character list is the manifest's second file); boxes/masks: detector or segmenter; anchors:
     * SSD-style (BlazeFace).
     */
    kind: z.enum(['probability-map', 'ctc', 'boxes', 'masks', 'anchors']),
    /** The primary output tensor. */
    name: z.string().min(1),
    /** Further output tensors by role, for models with several (boxes, scores, labels, masks). */
    names: z.partialRecord(z.enum(['boxes', 'scores', 'labels', 'masks']), z.string().min(1)).optional(),
    labels: z.array(z.string()).default([]),
    threshold: z.number().min(0).max(1),
  }),
  licence: z.string().min(1),
  source: z.string().min(1),
});
export type ModelManifest = z.infer<typeof modelManifestSchema>;

/** A manifest whose files were found and checked. */
export interface ResolvedModel {
  manifest: ModelManifest;
  /** Absolute path of the first file (the ONNX graph). */
  modelPath: string;
  /** Absolute paths of every file, in the manifest's order. */
  filePaths: string[];
}

/** Raised with a message that says which model and what is wrong with it. */
export class ModelUnavailableError extends Error {
  constructor(
    readonly modelId: string,
    reason: string,
  ) {
    super(`model ${modelId}: ${reason}`);
    this.name = 'ModelUnavailableError';
  }
}

/** SHA-256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Reads and validates a manifest file. */
export function readManifest(manifestPath: string): ModelManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (err) {
    throw new ModelUnavailableError(manifestPath, `manifest unreadable: ${(err as Error).message}`);
  }
  const parsed = modelManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ModelUnavailableError(manifestPath, `invalid manifest: ${detail}`);
  }
  return parsed.data;
}

function locate(manifestDir: string, manifest: ModelManifest, file: ModelManifest['files'][number]): string {
  const placed = join(manifestDir, manifest.id, file.name);
  if (existsSync(placed)) return placed;
  if (file.npm) {
    // Walk up node_modules folders as Node would, from the manifest and from this application;
    // the package's `exports` may hide its assets from require.resolve.
    for (const start of [manifestDir, dirname(fileURLToPath(import.meta.url))]) {
      for (let dir = start; ; dir = dirname(dir)) {
        const candidate = join(dir, 'node_modules', file.npm.package, file.npm.path);
        if (existsSync(candidate)) return candidate;
        if (dirname(dir) === dir) break;
      }
    }
  }
  throw new ModelUnavailableError(
    manifest.id,
    `file ${file.name} not found; place it at ${placed}${file.npm ? ` or install npm package ${file.npm.package}` : ''}`,
  );
}

/** Finds every file of a manifest and checks each SHA-256; throws ModelUnavailableError otherwise. */
export async function resolveModel(manifestPath: string): Promise<ResolvedModel> {
  const absolute = isAbsolute(manifestPath) ? manifestPath : resolve(manifestPath);
  const manifest = readManifest(absolute);
  const dir = dirname(absolute);
  const paths: string[] = [];
  for (const file of manifest.files) {
    const path = locate(dir, manifest, file);
    if (!existsSync(path))
      throw new ModelUnavailableError(manifest.id, `file ${file.name} missing at ${path}`);
    const actual = await sha256File(path);
    if (actual !== file.sha256) {
      throw new ModelUnavailableError(
        manifest.id,
        `file ${file.name} is corrupt or a different version: SHA-256 ${actual}, manifest says ${file.sha256}`,
      );
    }
    paths.push(path);
  }
  return { manifest, modelPath: paths[0]!, filePaths: paths };
}

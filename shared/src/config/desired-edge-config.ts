import type { z } from 'zod';
import {
  EDGE_FILE_VARIABLES,
  type EdgeConfigFile,
  edgeConfigFileSchema,
  edgeFileValues,
  edgeFileVariables,
} from './edge-config-file.js';
import { edgeSettingsSchema } from './edge-settings.js';

/**
 * Keys the hub may not set: where the box keeps its data and how it reaches the hub (a wrong value
 * would cut the box off from the very hub that could put it right). They stay the box's own.
 */
export const BOX_ONLY_KEYS = ['dataDir', 'hubUrl', 'mqttUrl', 'http.host', 'http.port'] as const;

/** The file's sections whose members are keys of their own (`alerts.sensitivity`). */
const SECTIONS = new Set([
  'http',
  'analysis',
  'models',
  'privacy',
  'recording',
  'upload',
  'procedures',
  'alerts',
]);

/**
 * A configuration file as one value per key, the twin's unit of comparison: a section's members are
 * `section.member`; the source and the privacy masks are one key each (set together or not at all).
 */
export function flattenEdgeConfig(file: EdgeConfigFile): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(file)) {
    if (value === undefined) continue;
    if (SECTIONS.has(key) && value && typeof value === 'object') {
      for (const [member, v] of Object.entries(value)) if (v !== undefined) flat[`${key}.${member}`] = v;
    } else flat[key] = value;
  }
  return flat;
}

/** The environment variables one key stands for (the source: its kind, looping and pacing). */
export function keyVariables(key: string): string[] {
  if (key === 'source') return ['GIC_SOURCE', 'GIC_SOURCE_LOOP', 'GIC_REPLAY_REALTIME'];
  const variable = EDGE_FILE_VARIABLES[key];
  return variable ? [variable] : [];
}

/** The key an environment variable belongs to (undefined for one no file key sets). */
export function variableKey(variable: string): string | undefined {
  if (keyVariables('source').includes(variable)) return 'source';
  return Object.entries(EDGE_FILE_VARIABLES).find(([, v]) => v === variable)?.[0];
}

/**
 * A desired configuration as the hub sends it to a box: a part of the edge's configuration file,
 * checked with the file's own schema (unknown keys refused) and then each value with the box's own
 * ranges (edge-settings.ts), every problem named by its key; box-only keys are refused.
 */
export const desiredEdgeConfigSchema = edgeConfigFileSchema.superRefine((file, ctx) => {
  const flat = flattenEdgeConfig(file);
  for (const key of BOX_ONLY_KEYS)
    if (key in flat)
      ctx.addIssue({
        code: 'custom',
        path: key.split('.'),
        message: 'is set on the box only (the hub could cut the box off with it)',
      });
  const env = edgeFileVariables(edgeFileValues(file, (p) => p));
  const checked = edgeSettingsSchema.safeParse(env);
  if (checked.success) return;
  for (const issue of checked.error.issues) {
    const variable = String(issue.path[0] ?? '');
    const key = variableKey(variable) ?? variable;
    ctx.addIssue({ code: 'custom', path: key.split('.'), message: `${issue.message} (as ${variable})` });
  }
});

/** The values of a desired configuration as the box's environment variables would hold them. */
export function desiredVariables(file: EdgeConfigFile, near: (p: string) => string): Record<string, string> {
  return edgeFileVariables(edgeFileValues(file, near));
}

export type DesiredEdgeConfig = z.infer<typeof desiredEdgeConfigSchema>;

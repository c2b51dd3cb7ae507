import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  EDGE_FILE_VARIABLES,
  edgeConfigFileSchema,
  edgeFileValues,
} from '@gic/shared/config/edge-config-file.js';
import { ConfigError } from '@gic/shared/config/parse-env.js';

export { type EdgeConfigFile, edgeConfigFileSchema } from '@gic/shared/config/edge-config-file.js';

/** A configuration file turned into the environment variables it stands for, and where each came from. */
export interface ConfigFileSettings {
  env: Record<string, string>;
  /** Environment variable -> `file: key`, to name the file's key in errors. */
  origin: Record<string, string>;
}

/**
 * Reads and checks the file at `path`: a missing file, bad JSON or an unknown or mistyped key is a
 * ConfigError naming the file and key. Relative paths in it (source file, data and models folders)
 * are relative to the file itself, not to wherever the box was started from.
 */
export function readEdgeConfigFile(path: string): ConfigFileSettings {
  const where = resolve(path);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(where, 'utf8'));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new ConfigError([`GIC_EDGE_CONFIG: cannot read ${where}: ${reason}`]);
  }
  const parsed = edgeConfigFileSchema.safeParse(json);
  if (!parsed.success)
    throw new ConfigError(
      parsed.error.issues.map((i) => `${where}: ${i.path.join('.') || '(top level)'}: ${i.message}`),
    );
  const file = parsed.data;
  const near = (p: string) => resolve(dirname(where), p);
  const values = edgeFileValues(file, near);
  const settings: ConfigFileSettings = { env: {}, origin: {} };
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const variable = EDGE_FILE_VARIABLES[key]!;
    settings.env[variable] = String(value);
    settings.origin[variable] = `${where}: ${key}`;
  }
  return settings;
}

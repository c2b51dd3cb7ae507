import { resolve } from 'node:path';
import { variableKey } from '@gic/shared/config/desired-edge-config.js';
import { readEdgeConfigFile } from '../config-file.js';

/**
 * The keys the box sets itself, and by what: its configuration file (GIC_EDGE_CONFIG), or an
 * environment variable, which wins over the file. Either wins over the hub's desired value.
 */
export function localSettingOrigins(env: Record<string, string | undefined>): Record<string, string> {
  const origins: Record<string, string> = {};
  if (env.GIC_EDGE_CONFIG) {
    const file = readEdgeConfigFile(env.GIC_EDGE_CONFIG);
    for (const variable of Object.keys(file.env)) {
      const key = variableKey(variable);
      if (key) origins[key] = `configuration file ${resolve(env.GIC_EDGE_CONFIG)}`;
    }
  }
  for (const [variable, value] of Object.entries(env)) {
    const key = value ? variableKey(variable) : undefined;
    if (key) origins[key] = `environment variable ${variable}`;
  }
  return origins;
}

/** The box's own raw setting for a key (the environment's, else the file's), for the report. */
export function localValue(env: Record<string, string | undefined>, variables: string[]): string | undefined {
  for (const v of variables) if (env[v]) return env[v];
  if (!env.GIC_EDGE_CONFIG) return undefined;
  const file = readEdgeConfigFile(env.GIC_EDGE_CONFIG);
  for (const v of variables) if (file.env[v] !== undefined) return file.env[v];
  return undefined;
}

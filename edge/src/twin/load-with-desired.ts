import { resolve } from 'node:path';
import { desiredVariables } from '@gic/shared/config/desired-edge-config.js';
import { ConfigError } from '@gic/shared/config/parse-env.js';
import { type EdgeConfig, loadEdgeConfig } from '../config.js';
import { readStoredDesiredConfig, type StoredDesiredConfig } from './desired-config-store.js';

/**
 * The box's configuration at start: its own (file and environment), and below it the hub's desired
 * configuration kept from an earlier run, so keys that only a start applies take effect now. A kept
 * configuration that does not fit is left out (the box starts on its own settings, and says why).
 */
export function loadWithDesiredConfig(
  env: Record<string, string | undefined>,
): EdgeConfig & { startedWith?: StoredDesiredConfig } {
  const own = loadEdgeConfig(env);
  const stored = readStoredDesiredConfig(resolve(own.dataDir, 'edge.db'));
  if (!stored) return own;
  try {
    return {
      ...loadEdgeConfig(
        env,
        desiredVariables(stored.values, (p) => resolve(p)),
      ),
      startedWith: stored,
    };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(
      `gic-edge: the hub's desired configuration (version ${stored.version}) is left out: ${err.message}\n`,
    );
    return own;
  }
}

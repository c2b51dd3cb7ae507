import { isDeepStrictEqual } from 'node:util';
import { flattenEdgeConfig } from '@gic/shared/config/desired-edge-config.js';
import type { EdgeConfigFile } from '@gic/shared/config/edge-config-file.js';
import type { ConfigReport } from '@gic/shared/messages/commands.js';

/**
 * A device against its desired configuration: `in-sync` (the box confirmed the version and runs every
 * key it does not override as desired), `pending` (not confirmed yet, or keys waiting for a procedure
 * to end or for the next start), `drifted` (confirmed, but a key differs or the box's own setting
 * wins, or it refused the version); `none` when no configuration was ever desired.
 */
export type ConfigState = 'in-sync' | 'pending' | 'drifted' | 'none';

/** One key where the box does not (yet) run what is desired, and why. */
export interface ConfigDifference {
  key: string;
  desired: unknown;
  /** What the box runs for it, where it says (null: not known). */
  reported: unknown;
  why: string;
  /** Whether it counts as pending (it will come) or drift (it will not by itself). */
  kind: 'pending' | 'drifted';
}

/** The state and the difference, key by key, of a desired configuration against a box's report. */
export function configState(
  desired: { values: EdgeConfigFile; version: number } | null,
  reported: ConfigReport | null,
  /** Why the box refused the desired version (its `config` command failed), if it did. */
  refused?: string,
): { state: ConfigState; difference: ConfigDifference[] } {
  if (!desired) return { state: 'none', difference: [] };
  const wanted = flattenEdgeConfig(desired.values);
  const confirmed = reported !== null && reported.version === desired.version;
  const difference: ConfigDifference[] = [];
  // By key: PostgreSQL's jsonb keeps no order of its own.
  for (const [key, value] of Object.entries(wanted).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const runs = reported && key in reported.values ? reported.values[key] : null;
    const differ = (why: string, kind: ConfigDifference['kind']) =>
      difference.push({ key, desired: value, reported: runs, why, kind });
    if (!confirmed && refused) differ(`the box refused version ${desired.version}: ${refused}`, 'drifted');
    else if (!confirmed)
      differ(
        reported
          ? `the box runs version ${reported.version}, not ${desired.version} yet`
          : 'the box has not confirmed it yet',
        'pending',
      );
    else if (reported.overridden.includes(key))
      differ(
        `overridden on the box by its ${reported.overriddenBy[key] ?? 'own setting'}, which wins`,
        'drifted',
      );
    else if (reported.deferred.includes(key))
      differ('deferred until the procedure in progress ends', 'pending');
    else if (reported.restartRequired.includes(key))
      differ('takes effect at the box’s next start', 'pending');
    else if (!(key in reported.values)) differ('the box did not report its value', 'drifted');
    else if (!isDeepStrictEqual(runs, value)) differ('the box runs another value', 'drifted');
  }
  const state: ConfigState = !confirmed
    ? refused
      ? 'drifted'
      : 'pending'
    : difference.some((d) => d.kind === 'drifted')
      ? 'drifted'
      : difference.length
        ? 'pending'
        : 'in-sync';
  return { state, difference };
}

/**
 * How a key of the desired configuration takes effect on a running box:
 * - `live`: at once, even during a procedure (the room's alert defaults: the alert tracker takes new
 *   settings between two frames);
 * - `between-procedures`: at once when no procedure runs, else when it ends (the procedure rules: a
 *   new auto-end time must not end the procedure in progress early);
 * - `capture-restart`: the analysis rate and size and the recording settings, which the capture
 *   pipeline is built with: applied by rebuilding it between procedures, never during one;
 * - `next-start`: kept and loaded at the box's next start (the source, models, privacy, upload and
 *   the rest are wired once at start).
 */
export type KeyTiming = 'live' | 'between-procedures' | 'capture-restart' | 'next-start';

/** Keys applied by rebuilding the capture pipeline (LiveCapture.relayout). */
export const CAPTURE_KEYS: ReadonlySet<string> = new Set([
  'analysis.fps',
  'analysis.maxSize',
  'recording.segmentSeconds',
  'recording.size',
  'recording.fps',
]);

export function keyTiming(key: string): KeyTiming {
  if (key.startsWith('alerts.')) return 'live';
  if (key.startsWith('procedures.')) return 'between-procedures';
  if (CAPTURE_KEYS.has(key)) return 'capture-restart';
  return 'next-start';
}

/** What the box does with each key of a desired configuration now. */
export interface ConfigSplit {
  /** Running with the desired value once this returns. */
  applyNow: string[];
  /** Waiting for the procedure in progress to end. */
  deferred: string[];
  /** The box's own environment or file sets it, and wins; by what. */
  overridden: string[];
  overriddenBy: Record<string, string>;
  /** Kept; takes effect at the next start. */
  restartRequired: string[];
}

/**
 * Splits the keys of a desired configuration: those the box sets itself are overridden (its own
 * setting wins, whatever the timing); the rest by their timing and whether a procedure runs.
 * `inEffect`: keys already running with the desired value (loaded at start, or applied before).
 */
export function splitDesiredConfig(
  keys: string[],
  local: Record<string, string>,
  procedureRunning: boolean,
  inEffect: ReadonlySet<string> = new Set(),
): ConfigSplit {
  const split: ConfigSplit = {
    applyNow: [],
    deferred: [],
    overridden: [],
    overriddenBy: {},
    restartRequired: [],
  };
  for (const key of [...keys].sort()) {
    const by = local[key];
    if (by !== undefined) {
      split.overridden.push(key);
      split.overriddenBy[key] = by;
      continue;
    }
    const timing = keyTiming(key);
    if (timing === 'live' || inEffect.has(key)) split.applyNow.push(key);
    else if (timing === 'next-start') split.restartRequired.push(key);
    else (procedureRunning ? split.deferred : split.applyNow).push(key);
  }
  return split;
}

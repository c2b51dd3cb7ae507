/** A device's configuration as `GET /api/v1/devices/{id}/config` answers it (hub/src/http/config-routes.ts). */
export interface TwinView {
  deviceId: string;
  state: 'in-sync' | 'pending' | 'drifted' | 'none';
  desired: Record<string, unknown> | null;
  desiredVersion: number | null;
  desiredBy: string | null;
  desiredAt: string | null;
  reportedVersion: number | null;
  reportedAt: string | null;
  overridden: string[];
  pending: string[];
  command: { id: string; status: string; reason: string | null } | null;
  difference: { key: string; desired: unknown; reported: unknown; why: string }[];
}

/** Each state in the words a fleet operator reads, and its colour (the fleet's health classes). */
export const TWIN_STATES: Record<
  TwinView['state'],
  { label: string; health: 'ok' | 'warn' | 'bad' | 'off' }
> = {
  'in-sync': { label: 'in sync', health: 'ok' },
  pending: { label: 'pending', health: 'warn' },
  drifted: { label: 'drifted', health: 'bad' },
  none: { label: 'none desired', health: 'off' },
};

/** A configuration value in a table cell: JSON, and `-` where the box did not say. */
export const shown = (value: unknown) =>
  value === null || value === undefined ? '-' : typeof value === 'string' ? value : JSON.stringify(value);

/**
 * The text of the configuration editor as the body of the PUT: an object, or why not (said before the
 * hub is asked, which checks the keys and ranges itself).
 */
export function parseDesired(
  text: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; why: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, why: `not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return {
      ok: false,
      why: 'the configuration must be a JSON object, e.g. {"alerts": {"sensitivity": 0.7}}',
    };
  return { ok: true, value: value as Record<string, unknown> };
}

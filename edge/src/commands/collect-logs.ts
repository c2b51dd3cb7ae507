import type { DeviceCommand } from '@gic/shared/messages/commands.js';

/** Keys whose values never leave the box. */
const SECRET = /token|password|secret|private|key|credential/i;

/** A copy of `value` with every secret-looking key's value replaced. */
export function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET.test(k) ? '[removed]' : withoutSecrets(v)]),
    );
  return value;
}

export interface CollectLogsDeps {
  /** The latest log lines the box holds. */
  logText: () => string;
  /** The running configuration. */
  config: unknown;
  /** Posts the logs to the hub (`/api/v1/devices/{id}/commands/{cmdId}/logs`). */
  upload: (
    command: DeviceCommand,
    body: { log: string; config: Record<string, unknown> },
  ) => Promise<{ key: string; bytes: number }>;
}

/** Gathers the box's recent log and its configuration (secrets removed) and uploads them to the hub. */
export async function collectLogs(
  deps: CollectLogsDeps,
  command: DeviceCommand,
): Promise<Record<string, unknown>> {
  const log = deps.logText();
  const stored = await deps.upload(command, {
    log,
    config: withoutSecrets(deps.config) as Record<string, unknown>,
  });
  return { logLines: log ? log.split('\n').length - 1 : 0, logsKey: stored.key, logsBytes: stored.bytes };
}

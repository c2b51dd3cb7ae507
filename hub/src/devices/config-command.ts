import type { DeviceCommand } from '@gic/shared/messages/commands.js';
import type { DeviceConfigRow } from './config-repo.js';

/**
 * How long the box is asked to take a desired configuration by. A box takes the latest version
 * whenever it arrives; this only dates the command in the hub's history.
 */
export const CONFIG_COMMAND_TTL_MS = 30 * 24 * 3600_000;

/**
 * The `config` command that carries a device's desired configuration: the same id and time each time
 * it is sent, so the box and the hub's history see one command per version. Safe during a procedure:
 * the box itself defers what would disturb one.
 */
export function configCommand(row: DeviceConfigRow): DeviceCommand {
  return {
    id: row.commandId,
    kind: 'config',
    issuedAt: row.desiredAt.toISOString(),
    expiresAt: new Date(row.desiredAt.getTime() + CONFIG_COMMAND_TTL_MS).toISOString(),
    safeDuringProcedure: true,
    issuedBy: row.desiredBy,
    config: { version: row.desiredVersion, values: row.desired as Record<string, unknown> },
  };
}

import type { DeviceCommand } from '@gic/shared/messages/commands.js';

/** What the box does with a command it has not seen before. */
export type CommandDecision =
  | { action: 'run' }
  | { action: 'expired' }
  | { action: 'refuse'; reason: string };

/** Why a command is refused while a procedure runs (what the hub shows). */
export const PROCEDURE_IN_PROGRESS = 'procedure in progress';

/**
 * The one rule above all: nothing the hub asks may disturb a procedure. A command past its expiry is
 * `expired`; one not marked safe while a procedure is in progress is refused; anything else runs.
 */
export function decideCommand(command: DeviceCommand, now: Date, procedureRunning: boolean): CommandDecision {
  if (now.getTime() >= Date.parse(command.expiresAt)) return { action: 'expired' };
  if (procedureRunning && !command.safeDuringProcedure)
    return { action: 'refuse', reason: PROCEDURE_IN_PROGRESS };
  return { action: 'run' };
}

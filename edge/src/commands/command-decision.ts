import type { DeviceCommand } from '@gic/shared/messages/commands.js';

/** What the box does with a command it has not seen before. */
export type CommandDecision =
  | { action: 'run' }
  | { action: 'expired' }
  | { action: 'defer'; reason: string }
  | { action: 'refuse'; reason: string };

/** Why a command is refused while a procedure runs (what the hub shows). */
export const PROCEDURE_IN_PROGRESS = 'procedure in progress';

/** Kinds that, during a procedure, are taken but wait for it to end (a model switch) rather than refused. */
export const DEFERRED_DURING_PROCEDURE: ReadonlySet<DeviceCommand['kind']> = new Set(['install-model']);

/**
 * The one rule above all: nothing the hub asks may disturb a procedure. A command past its expiry is
 * `expired`; one not marked safe while a procedure is in progress is refused, or deferred until it
 * ends (DEFERRED_DURING_PROCEDURE); anything else runs.
 */
export function decideCommand(command: DeviceCommand, now: Date, procedureRunning: boolean): CommandDecision {
  if (now.getTime() >= Date.parse(command.expiresAt)) return { action: 'expired' };
  if (procedureRunning && !command.safeDuringProcedure)
    return DEFERRED_DURING_PROCEDURE.has(command.kind)
      ? { action: 'defer', reason: `${PROCEDURE_IN_PROGRESS}: done when it ends` }
      : { action: 'refuse', reason: PROCEDURE_IN_PROGRESS };
  return { action: 'run' };
}

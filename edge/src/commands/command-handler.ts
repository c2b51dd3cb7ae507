import type { Logger } from '@gic/shared/logging/logger.js';
import {
  type CommandKind,
  type CommandResult,
  type DeviceCommand,
  deviceCommandSchema,
  parsePayload,
} from '@gic/shared/messages/commands.js';
import { decideCommand } from './command-decision.js';
import type { CommandLedger } from './command-ledger.js';

/** What a runner tells the handler while it runs. */
export interface CommandProgress {
  /**
   * The work that changes the box begins (a deferred model switch: the procedure has ended). For a
   * deferred command the handler answers `accepted` again, with `detail.started`: the hub shows it
   * installing, and a restart from here on leaves it cut short rather than still waiting.
   */
  begin(): Promise<void>;
}

/** Does one kind of command; resolves with its detail (small JSON), rejects with why it failed. */
export type CommandRunner = (
  command: DeviceCommand,
  progress: CommandProgress,
) => Promise<Record<string, unknown>>;

export interface CommandHandlerDeps {
  ledger: CommandLedger;
  /** Sends an answer on `cmd/result` (QoS 1). */
  publish: (result: CommandResult) => Promise<void>;
  /** True while a procedure is in progress. */
  procedureRunning: () => boolean;
  runners: Record<Exclude<CommandKind, 'config'>, CommandRunner>;
  /** Takes `config` commands (the device twin, twin/config-twin.ts): a desired state, not an action. */
  onConfig?: (command: DeviceCommand) => Promise<void>;
  log: Logger;
  now?: () => Date;
}

/**
 * Takes each payload from the box's `cmd` topic: validates it (a bad one is logged and dropped),
 * claims its id (a repeat gets the last answer again, and never runs twice), then answers `expired`,
 * `refused` (a procedure in progress), or `accepted` (with `detail.deferred` when it waits for the
 * procedure to end), runs it, and answers `succeeded` or `failed`.
 */
export class CommandHandler {
  private readonly running = new Set<string>();
  private readonly now: () => Date;

  constructor(private readonly deps: CommandHandlerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Handles one payload; never throws. Resolves once the command is answered (and done, if it ran). */
  async handle(payload: Buffer | string): Promise<void> {
    const { log, ledger } = this.deps;
    const parsed = parsePayload(deviceCommandSchema, payload);
    if (!parsed.ok) return log.warn({ reason: parsed.reason }, 'malformed command dropped');
    const command = parsed.value;
    // A desired configuration is a state, not an action: taken by version (not once by id), any time.
    if (command.kind === 'config') {
      if (this.deps.onConfig) return this.deps.onConfig(command);
      return this.answer(command, 'failed', { reason: 'this box takes no configuration from the hub' }).catch(
        () => {},
      );
    }
    try {
      if (!ledger.claim(command.id, command.kind, this.now())) return await this.repeat(command);
      const decision = decideCommand(command, this.now(), this.deps.procedureRunning());
      log.info(
        { commandId: command.id, kind: command.kind, by: command.issuedBy, decision },
        'command received',
      );
      if (decision.action === 'expired')
        return await this.answer(command, 'expired', { reason: 'the command expired before it could start' });
      if (decision.action === 'refuse')
        return await this.answer(command, 'refused', { reason: decision.reason });
      await this.run(command, decision.action === 'defer' ? decision.reason : null);
    } catch (err) {
      log.error({ commandId: command.id, err: (err as Error).message }, 'command not handled');
    }
  }

  /**
   * Answers `accepted` (with why it waits, when deferred), runs the command, and answers `succeeded`
   * or `failed`. `deferred: undefined` resumes a deferred command after a restart: it is not answered
   * `accepted` again, since the hub already has that answer.
   */
  private async run(command: DeviceCommand, deferred: string | null | undefined): Promise<void> {
    const { log } = this.deps;
    // Marked running before the first await: a repeat arriving meanwhile must not read it as cut short.
    this.running.add(command.id);
    try {
      if (deferred !== undefined)
        await this.answer(
          command,
          'accepted',
          deferred ? { reason: deferred, detail: { deferred: true } } : {},
        );
      let begun = false;
      const progress: CommandProgress = {
        begin: async () => {
          if (begun || deferred === null) return;
          begun = true;
          await this.answer(command, 'accepted', { detail: { started: true } });
        },
      };
      const runner = this.deps.runners[command.kind as Exclude<CommandKind, 'config'>];
      const detail = await runner(command, progress);
      await this.answer(command, 'succeeded', { detail });
    } catch (err) {
      const reason = (err as Error).message.slice(0, 500);
      log.warn({ commandId: command.id, kind: command.kind, reason }, 'command failed');
      await this.answer(command, 'failed', { reason });
    } finally {
      this.running.delete(command.id);
    }
  }

  /**
   * A command seen before: its last answer again, and it is never run twice. After a restart, one
   * that was still waiting for a procedure to end (its last answer `accepted`, deferred) had changed
   * nothing yet: it waits again. One cut short while it ran is answered failed.
   */
  private async repeat(command: DeviceCommand): Promise<void> {
    const last = this.deps.ledger.lastResult(command.id);
    const cutShort = last?.status === 'accepted' && !this.running.has(command.id);
    if (cutShort && last.detail?.deferred === true) {
      this.deps.log.info(
        { commandId: command.id, kind: command.kind },
        'deferred command taken up again after a restart',
      );
      return this.run(command, undefined);
    }
    this.deps.log.info(
      { commandId: command.id, last: last?.status ?? null },
      'repeated command not run again',
    );
    if (cutShort)
      return this.answer(command, 'failed', { reason: 'interrupted: the box restarted while it ran' });
    if (last) await this.deps.publish(last);
  }

  private async answer(
    command: DeviceCommand,
    status: CommandResult['status'],
    extra: { reason?: string; detail?: Record<string, unknown> } = {},
  ): Promise<void> {
    const result: CommandResult = { commandId: command.id, status, ...extra, at: this.now().toISOString() };
    this.deps.ledger.record(result);
    await this.deps.publish(result);
  }
}

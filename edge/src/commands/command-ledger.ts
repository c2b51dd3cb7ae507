import type { CommandResult } from '@gic/shared/messages/commands.js';
import type { EdgeDatabase } from '../store/edge-database.js';

/**
 * The commands this box has taken, in SQLite: MQTT QoS 1 delivers at least once, so a command is
 * claimed by its id before anything is done, and a repeat finds it claimed, across restarts too.
 */
export class CommandLedger {
  constructor(private readonly db: EdgeDatabase) {}

  /** True if this id is new (now claimed); false if it was taken before. */
  claim(id: string, kind: string, at: Date): boolean {
    const { changes } = this.db
      .prepare(
        "INSERT INTO remote_commands (id, kind, received_at, status) VALUES (?, ?, ?, 'received') ON CONFLICT DO NOTHING",
      )
      .run(id, kind, at.toISOString());
    return changes === 1;
  }

  /** Keeps the latest answer given for a command (sent again if the command comes again). */
  record(result: CommandResult): void {
    this.db
      .prepare('UPDATE remote_commands SET status = ?, result = ? WHERE id = ?')
      .run(result.status, JSON.stringify(result), result.commandId);
  }

  /** The latest answer given for a command, if any. */
  lastResult(id: string): CommandResult | undefined {
    const row = this.db.prepare('SELECT result FROM remote_commands WHERE id = ?').get(id) as
      | { result: string | null }
      | undefined;
    return row?.result ? (JSON.parse(row.result) as CommandResult) : undefined;
  }
}

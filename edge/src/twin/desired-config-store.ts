import type { EdgeConfigFile } from '@gic/shared/config/edge-config-file.js';
import Database from 'better-sqlite3';
import type { EdgeDatabase } from '../store/edge-database.js';

/** The hub's desired configuration as the box keeps it. */
export interface StoredDesiredConfig {
  version: number;
  /** The `config` command that carried it (the box answers on it). */
  commandId: string;
  values: EdgeConfigFile;
  receivedAt: string;
}

interface Row {
  version: number;
  command_id: string;
  config: string;
  received_at: string;
}
const view = (r: Row): StoredDesiredConfig => ({
  version: r.version,
  commandId: r.command_id,
  values: JSON.parse(r.config) as EdgeConfigFile,
  receivedAt: r.received_at,
});

/** The latest desired configuration in SQLite: one row, replaced only by a newer version. */
export class DesiredConfigStore {
  constructor(private readonly db: EdgeDatabase) {}

  latest(): StoredDesiredConfig | undefined {
    const row = this.db.prepare('SELECT * FROM desired_config WHERE id = 1').get() as Row | undefined;
    return row && view(row);
  }

  /** Keeps `config` if it is newer than the one held; true if it was kept. */
  save(config: StoredDesiredConfig): boolean {
    const { changes } = this.db
      .prepare(
        `INSERT INTO desired_config (id, version, command_id, config, received_at) VALUES (1, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, command_id = excluded.command_id,
           config = excluded.config, received_at = excluded.received_at
         WHERE excluded.version > desired_config.version`,
      )
      .run(config.version, config.commandId, JSON.stringify(config.values), config.receivedAt);
    return changes === 1;
  }
}

/**
 * The desired configuration held in the store at `path`, read before the box starts (its settings
 * load below the box's own); undefined when there is none or no store yet.
 */
export function readStoredDesiredConfig(path: string): StoredDesiredConfig | undefined {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const row = db.prepare('SELECT * FROM desired_config WHERE id = 1').get() as Row | undefined;
    return row && view(row);
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}

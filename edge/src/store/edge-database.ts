import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

export type EdgeDatabase = Database.Database;

/** Folder of numbered `.sql` files; the same from `src/store` and `dist/store`. */
export const EDGE_MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

/**
 * Opens the edge's SQLite store: WAL for concurrent readers, and `synchronous=FULL` because
 * better-sqlite3's build defaults to NORMAL in WAL mode, where a power cut can lose the last commits.
 */
export function openEdgeDatabase(path: string): EdgeDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrateEdgeDatabase(db);
  return db;
}

/** Applies numbered migrations not yet applied, each in a transaction. */
export function migrateEdgeDatabase(db: EdgeDatabase, dir = EDGE_MIGRATIONS_DIR): string[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  const done = new Set(
    db
      .prepare('SELECT name FROM schema_migrations')
      .all()
      .map((r) => (r as { name: string }).name),
  );
  const applied: string[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f))
    .sort()) {
    if (done.has(file)) continue;
    db.transaction(() => {
      db.exec(readFileSync(`${dir}/${file}`, 'utf8'));
      db.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)').run(
        file,
        new Date().toISOString(),
      );
    })();
    applied.push(file);
  }
  return applied;
}

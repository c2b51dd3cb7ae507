import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrateEdgeDatabase, openEdgeDatabase } from './edge-database.js';

describe('openEdgeDatabase', () => {
  it('uses WAL with synchronous=FULL on every connection', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'gic-edge-db-')), 'edge.db');
    for (let i = 0; i < 2; i++) {
      const db = openEdgeDatabase(path);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      // 2 = FULL (0 OFF, 1 NORMAL, 3 EXTRA)
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      db.close();
    }
  });

  it('applies each migration once', () => {
    const db = openEdgeDatabase(join(mkdtempSync(join(tmpdir(), 'gic-edge-db-')), 'edge.db'));
    expect(migrateEdgeDatabase(db)).toEqual([]);
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((r) => (r as { name: string }).name);
    expect(tables).toEqual(
      expect.arrayContaining(['outbox', 'procedures', 'frame_analyses', 'recordings', 'upload_parts']),
    );
    db.close();
  });
});

import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@gic/shared/logging/logger.js';
import { describe, expect, it } from 'vitest';
import { openEdgeDatabase } from '../store/edge-database.js';
import { evictVerifiedRecordings } from './recording-eviction.js';
import { RecordingsStore } from './recordings-store.js';

describe('evictVerifiedRecordings', () => {
  it('deletes the oldest verified copies until under the limit, and never an unverified one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gic-evict-'));
    const db = openEdgeDatabase(':memory:');
    const store = new RecordingsStore(db);
    const add = (id: string, status: 'verified' | 'ready' | 'uploading', at: string) => {
      db.prepare("INSERT INTO procedures (id, started_at, source_label) VALUES (?, ?, 'x')").run(
        `p-${id}`,
        at,
      );
      const path = join(dir, `${id}.mp4`);
      writeFileSync(path, Buffer.alloc(1000));
      store.add(id, `p-${id}`, path);
      db.prepare('UPDATE recordings SET status = ?, created_at = ? WHERE id = ?').run(status, at, id);
      return path;
    };
    const unsent = add('a-unsent', 'ready', '2026-01-01T00:00:00Z');
    const old = add('b-old', 'verified', '2026-01-02T00:00:00Z');
    const uploading = add('c-uploading', 'uploading', '2026-01-03T00:00:00Z');
    const recent = add('d-recent', 'verified', '2026-01-04T00:00:00Z');
    const log = createLogger('test', 'silent');

    expect(evictVerifiedRecordings(db, 3000, log)).toEqual({ usedBytes: 3000, evicted: 1 });
    expect(existsSync(old)).toBe(false);
    expect([unsent, uploading, recent].every((p) => existsSync(p))).toBe(true);
    // Over the limit with only one verified copy left: it goes; the unverified stay, over the limit.
    expect(evictVerifiedRecordings(db, 500, log)).toEqual({ usedBytes: 2000, evicted: 1 });
    expect(existsSync(recent)).toBe(false);
    expect(existsSync(unsent) && existsSync(uploading)).toBe(true);
  });
});

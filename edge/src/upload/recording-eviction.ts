import { existsSync, rmSync, statSync } from 'node:fs';
import type { Logger } from '@gic/shared/logging/logger.js';
import type { EdgeDatabase } from '../store/edge-database.js';

/**
 * Keeps the recordings folder under `maxBytes` by deleting the oldest local copies whose upload the
 * hub has verified. A recording that is not verified is never deleted, whatever the limit: if only
 * those remain, the folder stays over it and the caller's disk warning says so.
 */
export function evictVerifiedRecordings(
  db: EdgeDatabase,
  maxBytes: number,
  log: Logger,
): { usedBytes: number; evicted: number } {
  const rows = db
    .prepare("SELECT id, path, status FROM recordings WHERE status <> 'failed' ORDER BY created_at")
    .all() as { id: string; path: string; status: string }[];
  const sizes = rows.map((r) => (existsSync(r.path) ? statSync(r.path).size : 0));
  let usedBytes = sizes.reduce((a, b) => a + b, 0);
  let evicted = 0;
  const markEvicted = db.prepare("UPDATE recordings SET path = '', updated_at = ? WHERE id = ?");
  for (let i = 0; i < rows.length && usedBytes > maxBytes; i++) {
    const r = rows[i]!;
    if (r.status !== 'verified' || !r.path || sizes[i] === 0) continue;
    rmSync(r.path, { force: true });
    markEvicted.run(new Date().toISOString(), r.id);
    usedBytes -= sizes[i]!;
    evicted++;
    log.info({ recordingId: r.id, bytes: sizes[i] }, 'verified recording evicted locally');
  }
  return { usedBytes, evicted };
}

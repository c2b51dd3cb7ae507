import type { Logger } from '@gic/shared/logging/logger.js';
import type { Queryable } from '../db/database.js';
import type { ObjectStore } from '../storage/object-store.js';

/** An upload with no progress for this long is abandoned (h): a device resumes within minutes of coming back. */
export const STALE_UPLOAD_HOURS = 24;

/**
 * Job handler: aborts multipart uploads that stopped making progress, so their parts do not sit in
 * the object store for ever, and marks their recordings aborted (a device that comes back later
 * starts a fresh upload). A store that cannot abort the parts is noted, not fatal.
 */
export async function abortStaleUploads(
  db: Queryable,
  store: ObjectStore,
  log: Logger,
  olderThanHours = STALE_UPLOAD_HOURS,
): Promise<number> {
  const { rows } = await db.query<{ id: string; object_key: string; upload_id: string }>(
    `SELECT id, object_key, upload_id FROM recordings
      WHERE status = 'uploading' AND updated_at < now() - make_interval(hours => $1)`,
    [olderThanHours],
  );
  for (const r of rows) {
    const aborted = await store.abortMultipart(r.object_key, r.upload_id);
    await db.query(
      `UPDATE recordings SET status = 'aborted', error = $2, updated_at = now() WHERE id = $1 AND status = 'uploading'`,
      [
        r.id,
        `no progress for ${olderThanHours} h${aborted ? '' : '; the object store could not abort the parts'}`,
      ],
    );
    log.warn({ recordingId: r.id, partsRemoved: aborted }, 'stale upload aborted');
  }
  return rows.length;
}

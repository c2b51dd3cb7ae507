import type { Logger } from '@gic/shared/logging/logger.js';
import type { Database } from '../db/database.js';
import type { ObjectStore } from '../storage/object-store.js';

/** The seed's lifecycle, configurable: how long each kind of object is kept. */
export interface RetentionPolicy {
  /** An uploaded video's raw file (days from upload); its de-identified copy stays. */
  rawUploadDays: number;
  /** Key frames, once the procedure has a ready export (days after that export). */
  keyframesAfterExportDays: number;
  /** Export bundles (days from when they were ready). */
  exportDays: number;
  /** Upload sessions with no progress for this long are given up (hours). */
  staleUploadHours: number;
}

export const defaultRetention: RetentionPolicy = {
  rawUploadDays: 30,
  keyframesAfterExportDays: 0,
  exportDays: 90,
  staleUploadHours: 24,
};

export interface PurgeRecord {
  procedureId: string | null;
  kind: 'raw-upload' | 'keyframe' | 'export' | 'stale-upload';
  key: string;
  reason: string;
}

const DAY_MS = 86_400_000;

/**
 * Deletes what the retention policy says is due, as of `now`, skipping every procedure under legal
 * hold, and records each deletion with its reason in `retention_purges`. Idempotent: what is gone is
 * marked so, and a second run finds nothing more. Run daily by the worker (job `retention-purge`).
 */
export async function purgeExpired(
  db: Database,
  store: ObjectStore,
  policy: RetentionPolicy,
  log: Logger,
  now = new Date(),
): Promise<PurgeRecord[]> {
  const done: PurgeRecord[] = [];
  const record = async (r: PurgeRecord) => {
    await db.query(
      'INSERT INTO retention_purges (procedure_id, kind, object_key, reason) VALUES ($1, $2, $3, $4)',
      [r.procedureId, r.kind, r.key, r.reason],
    );
    done.push(r);
  };

  const raws = await db.query<{ procedure_id: string; raw_key: string }>(
    `SELECT v.procedure_id, v.raw_key FROM videos v JOIN procedures p ON p.id = v.procedure_id
      WHERE v.raw_key IS NOT NULL AND v.raw_deleted_at IS NULL AND NOT p.legal_hold AND v.created_at < $1`,
    [new Date(now.getTime() - policy.rawUploadDays * DAY_MS)],
  );
  for (const r of raws.rows) {
    await store.delete(r.raw_key);
    await db.query('UPDATE videos SET raw_deleted_at = $2 WHERE procedure_id = $1', [r.procedure_id, now]);
    await record({
      procedureId: r.procedure_id,
      kind: 'raw-upload',
      key: r.raw_key,
      reason: `raw upload older than ${policy.rawUploadDays} days`,
    });
  }

  const frames = await db.query<{ run_id: string; procedure_id: string; t_ms: number; object_key: string }>(
    `SELECT k.run_id, k.procedure_id, k.t_ms, k.object_key FROM keyframes k JOIN procedures p ON p.id = k.procedure_id
      WHERE k.deleted_at IS NULL AND NOT p.legal_hold
        AND EXISTS (SELECT 1 FROM video_exports e WHERE e.procedure_id = k.procedure_id AND e.state = 'ready'
                     AND e.finished_at < $1)`,
    [new Date(now.getTime() - policy.keyframesAfterExportDays * DAY_MS)],
  );
  for (const k of frames.rows) {
    await store.delete(k.object_key);
    await db.query('UPDATE keyframes SET deleted_at = $3 WHERE run_id = $1 AND t_ms = $2', [
      k.run_id,
      k.t_ms,
      now,
    ]);
    await record({
      procedureId: k.procedure_id,
      kind: 'keyframe',
      key: k.object_key,
      reason: `key frame of an exported procedure (${policy.keyframesAfterExportDays} days after the export)`,
    });
  }

  const exports = await db.query<{ id: string; procedure_id: string; object_key: string }>(
    `SELECT e.id, e.procedure_id, e.object_key FROM video_exports e JOIN procedures p ON p.id = e.procedure_id
      WHERE e.state = 'ready' AND e.deleted_at IS NULL AND e.object_key IS NOT NULL AND NOT p.legal_hold
        AND e.finished_at < $1`,
    [new Date(now.getTime() - policy.exportDays * DAY_MS)],
  );
  for (const e of exports.rows) {
    await store.delete(e.object_key);
    await db.query('UPDATE video_exports SET deleted_at = $2 WHERE id = $1', [e.id, now]);
    await record({
      procedureId: e.procedure_id,
      kind: 'export',
      key: e.object_key,
      reason: `export older than ${policy.exportDays} days`,
    });
  }

  const stale = await db.query<{ id: string; object_key: string; s3_upload_id: string }>(
    `SELECT id, object_key, s3_upload_id FROM video_uploads WHERE status = 'receiving' AND updated_at < $1`,
    [new Date(now.getTime() - policy.staleUploadHours * 3_600_000)],
  );
  for (const u of stale.rows) {
    await store.abortMultipart(u.object_key, u.s3_upload_id);
    await db.query("UPDATE video_uploads SET status = 'aborted', updated_at = now() WHERE id = $1", [u.id]);
    await record({
      procedureId: null,
      kind: 'stale-upload',
      key: u.object_key,
      reason: `upload with no progress for ${policy.staleUploadHours} hours`,
    });
  }
  if (done.length) log.info({ deleted: done.length }, 'retention purge');
  return done;
}

/** Puts a procedure under legal hold (or lifts it): nothing of it is purged while held. */
export async function setLegalHold(
  db: Database,
  procedureId: string,
  hold: boolean,
  by: string,
  reason: string | null,
): Promise<void> {
  await db.query(
    `UPDATE procedures SET legal_hold = $2, legal_hold_by = $3, legal_hold_at = now(), legal_hold_reason = $4
      WHERE id = $1`,
    [procedureId, hold, by, reason],
  );
}

/** The latest purge records, newest first. */
export async function recentPurges(db: Database, limit: number) {
  const { rows } = await db.query<{
    purged_at: Date;
    procedure_id: string | null;
    kind: string;
    object_key: string;
    reason: string;
  }>(
    'SELECT purged_at, procedure_id, kind, object_key, reason FROM retention_purges ORDER BY id DESC LIMIT $1',
    [limit],
  );
  return rows.map((r) => ({
    purgedAt: r.purged_at.toISOString(),
    procedureId: r.procedure_id,
    kind: r.kind,
    key: r.object_key,
    reason: r.reason,
  }));
}

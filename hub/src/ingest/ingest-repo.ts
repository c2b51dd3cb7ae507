import type { DeviceEvent } from '@gic/shared/messages/events.js';
import type { Queryable } from '../db/database.js';

/** Records the event id; false when this device sent it before (a duplicate to skip). */
export async function recordEvent(db: Queryable, deviceId: string, event: DeviceEvent): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO device_events (device_id, event_id, seq, type, procedure_id, event_ts)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (device_id, event_id) DO NOTHING`,
    [deviceId, event.id, event.seq, event.type, event.procedureId ?? null, event.ts],
  );
  return rowCount === 1;
}

export async function insertFrameAnalysis(
  db: Queryable,
  deviceId: string,
  event: Extract<DeviceEvent, { type: 'frame.analysed' }>,
): Promise<void> {
  const a = event.body;
  await db.query(
    `INSERT INTO frame_analyses
       (device_id, event_id, procedure_id, frame_index, pts_ms, findings_count, privacy_region_count, analysis)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
    [
      deviceId,
      event.id,
      event.procedureId,
      a.frameIndex,
      a.ptsMs,
      a.detections.length,
      a.privacyRegions.length,
      a,
    ],
  );
}

/** Stores a chat message once per device and message id, whichever event brought it. */
export async function insertChatMessage(
  db: Queryable,
  deviceId: string,
  event: Extract<DeviceEvent, { type: 'chat.message' }>,
): Promise<void> {
  const m = event.body;
  await db.query(
    `INSERT INTO chat_messages
       (device_id, message_id, event_id, session_id, procedure_id, role, text, by, at, citations, source)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (device_id, message_id) DO NOTHING`,
    [
      deviceId,
      m.messageId,
      event.id,
      m.sessionId,
      event.procedureId,
      m.role,
      m.text,
      m.by ?? null,
      m.at,
      m.citations ? JSON.stringify(m.citations) : null,
      m.source ?? null,
    ],
  );
}

/** Stores the VLM's analysis of a frame once per device and findings id. */
export async function insertFrameFindings(
  db: Queryable,
  deviceId: string,
  event: Extract<DeviceEvent, { type: 'frame.findings' }>,
): Promise<void> {
  const f = event.body;
  await db.query(
    `INSERT INTO frame_findings (device_id, findings_id, event_id, procedure_id, at, pts_ms, trigger, outcome,
       findings, reason, model_id, attempts, ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (device_id, findings_id) DO NOTHING`,
    [
      deviceId,
      f.findingsId,
      event.id,
      event.procedureId,
      f.at,
      f.ptsMs,
      f.trigger,
      f.outcome,
      f.findings ? JSON.stringify(f.findings) : null,
      f.reason,
      f.modelId,
      f.attempts,
      f.ms,
    ],
  );
}

export async function insertDeadLetter(
  db: Queryable,
  entry: { deviceId: string | null; topic: string; payload: string; reason: string },
): Promise<void> {
  await db.query('INSERT INTO dead_letters (device_id, topic, payload, reason) VALUES ($1, $2, $3, $4)', [
    entry.deviceId,
    entry.topic,
    entry.payload.slice(0, 64 * 1024),
    entry.reason.slice(0, 4000),
  ]);
}

/** Applies one alert change; a change older (by device sequence) than the one stored is ignored. */
export async function upsertAlert(
  db: Queryable,
  deviceId: string,
  event: Extract<DeviceEvent, { type: 'alert.changed' }>,
): Promise<void> {
  const a = event.body;
  await db.query(
    `INSERT INTO alerts (id, device_id, procedure_id, label, model_id, model_version, first_frame_index, raised_frame_index,
       raised_at, best_score, box, shown, state, acknowledged_by, acknowledged_at, dismissed_by, dismissed_at, last_seq)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
     ON CONFLICT (id) DO UPDATE SET best_score = excluded.best_score, box = excluded.box, state = excluded.state,
       acknowledged_by = excluded.acknowledged_by, acknowledged_at = excluded.acknowledged_at,
       dismissed_by = excluded.dismissed_by, dismissed_at = excluded.dismissed_at, last_seq = excluded.last_seq
     WHERE alerts.last_seq < excluded.last_seq AND alerts.device_id = excluded.device_id`,
    [
      a.alertId,
      deviceId,
      event.procedureId,
      a.label,
      a.modelId,
      a.modelVersion,
      a.firstFrameIndex,
      a.raisedFrameIndex,
      a.raisedAt,
      a.bestScore,
      JSON.stringify(a.box),
      a.shown,
      a.state,
      a.acknowledgedBy,
      a.acknowledgedAt,
      a.dismissedBy,
      a.dismissedAt,
      event.seq,
    ],
  );
}

/**
 * Keeps what the edge says of each recording segment (latest seal wins). Events from edges that
 * predate segments carry neither index nor final flag: their one recording is segment 0, and final.
 * A later seal without a start time (the edge re-seals a segment as final) keeps the one known.
 */
export async function upsertRecordingSeal(
  db: Queryable,
  deviceId: string,
  event: Extract<DeviceEvent, { type: 'recording.sealed' }>,
): Promise<void> {
  const s = event.body;
  await db.query(
    `INSERT INTO recording_seals (device_id, recording_id, procedure_id, segment_index, status, final, size_bytes,
       sha256, error, last_seq, started_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (device_id, recording_id) DO UPDATE SET status = excluded.status, final = excluded.final,
       size_bytes = excluded.size_bytes, sha256 = excluded.sha256, error = excluded.error, last_seq = excluded.last_seq,
       started_at = coalesce(excluded.started_at, recording_seals.started_at)
     WHERE recording_seals.last_seq < excluded.last_seq`,
    [
      deviceId,
      s.recordingId,
      event.procedureId,
      s.segmentIndex ?? 0,
      s.status,
      s.final ?? true,
      s.sizeBytes,
      s.sha256,
      s.error,
      event.seq,
      s.startedAt ?? null,
    ],
  );
}

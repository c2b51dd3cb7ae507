import type { DeviceEvent } from '@gic/shared/messages/events.js';
import type { Queryable } from '../db/database.js';

type FrameEvent = Extract<DeviceEvent, { type: 'frame.analysed' }>;

export interface FrameItem {
  deviceId: string;
  event: FrameEvent;
}

/**
 * Applies a run of frame analyses in a handful of statements instead of several per event: the
 * procedures they name (created if absent, and each checked to belong to its device), the events
 * recorded once per device and id, and the analyses of the events that were new. The same effects as
 * `applyEvent` on each, in the caller's transaction; it throws (and the caller replays the run one
 * event at a time, which names the culprit) when a procedure belongs to another device or a
 * statement fails. Returns, per item, whether it was applied or a duplicate (also within the run).
 */
export async function applyFrameRun(
  tx: Queryable,
  items: FrameItem[],
): Promise<('applied' | 'duplicates')[]> {
  const owners = new Map<string, string>();
  for (const { deviceId, event } of items) owners.set(event.procedureId, deviceId);
  const procedureIds = [...owners.keys()];
  await tx.query(
    `INSERT INTO procedures (id, device_id) SELECT * FROM unnest($1::uuid[], $2::text[])
     ON CONFLICT (id) DO NOTHING`,
    [procedureIds, procedureIds.map((id) => owners.get(id)!)],
  );
  const { rows: found } = await tx.query<{ id: string; device_id: string }>(
    'SELECT id, device_id FROM procedures WHERE id = ANY($1::uuid[])',
    [procedureIds],
  );
  const ownerOf = new Map(found.map((p) => [p.id, p.device_id]));
  for (const { deviceId, event } of items) {
    if (ownerOf.get(event.procedureId) !== deviceId)
      throw new Error(`procedure ${event.procedureId} belongs to another device`);
  }

  const { rows: inserted } = await tx.query<{ device_id: string; event_id: string }>(
    `INSERT INTO device_events (device_id, event_id, seq, type, procedure_id, event_ts)
     SELECT d, e, s, 'frame.analysed', p, t
       FROM unnest($1::text[], $2::uuid[], $3::bigint[], $4::uuid[], $5::timestamptz[]) AS x(d, e, s, p, t)
     ON CONFLICT (device_id, event_id) DO NOTHING
     RETURNING device_id, event_id`,
    [
      items.map((i) => i.deviceId),
      items.map((i) => i.event.id),
      items.map((i) => i.event.seq),
      items.map((i) => i.event.procedureId),
      items.map((i) => i.event.ts),
    ],
  );
  // New to the hub: the first item of each inserted (device, id); any other is a duplicate.
  const fresh = new Set(inserted.map((r) => `${r.device_id} ${r.event_id}`));
  const outcomes = items.map(({ deviceId, event }) => {
    const key = `${deviceId} ${event.id}`;
    if (!fresh.has(key)) return 'duplicates' as const;
    fresh.delete(key);
    return 'applied' as const;
  });
  const applied = items.filter((_, i) => outcomes[i] === 'applied');
  if (applied.length > 0) {
    await tx.query(
      `INSERT INTO frame_analyses
         (device_id, event_id, procedure_id, frame_index, pts_ms, findings_count, privacy_region_count, analysis)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::int[], $5::double precision[], $6::int[],
                            $7::int[], $8::jsonb[])
       ON CONFLICT DO NOTHING`,
      [
        applied.map((i) => i.deviceId),
        applied.map((i) => i.event.id),
        applied.map((i) => i.event.procedureId),
        applied.map((i) => i.event.body.frameIndex),
        applied.map((i) => i.event.body.ptsMs),
        applied.map((i) => i.event.body.detections.length),
        applied.map((i) => i.event.body.privacyRegions.length),
        applied.map((i) => JSON.stringify(i.event.body)),
      ],
    );
  }
  return outcomes;
}

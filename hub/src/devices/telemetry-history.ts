import type { Logger } from '@gic/shared/logging/logger.js';
import type { Telemetry } from '@gic/shared/messages/events.js';
import { z } from 'zod';
import type { Queryable } from '../db/database.js';

/**
 * Keeps a device's latest telemetry on its row and the report in its history, in one statement. The
 * history is keyed by the report's own time: the same report taken twice (two ingest processes, a
 * resend) is kept once.
 */
export async function recordTelemetry(db: Queryable, deviceId: string, telemetry: Telemetry): Promise<void> {
  await db.query(
    `WITH latest AS (
       UPDATE devices SET telemetry = $2, telemetry_at = now(), last_seen_at = now() WHERE id = $1 RETURNING id
     )
     INSERT INTO device_telemetry (device_id, at, telemetry)
     SELECT id, $3, $2 FROM latest
     ON CONFLICT (device_id, at) DO NOTHING`,
    [deviceId, JSON.stringify(telemetry), telemetry.ts],
  );
}

/** `GET /api/v1/devices/{id}/telemetry`: the last `hours` (up to 90 days), at most `points` buckets. */
export const telemetryQuerySchema = z.object({
  hours: z.coerce
    .number()
    .positive()
    .max(24 * 90)
    .default(24),
  points: z.coerce.number().int().min(10).max(2000).default(300),
});

/** One bucket of a device's history: means (CPU, GPU, rate), highs (memory, heat, backlog), lows (free disk). */
export interface TelemetryPoint {
  at: string;
  reports: number;
  cpuPercent: number | null;
  loadAvg1: number | null;
  memoryUsedBytes: number | null;
  memoryTotalBytes: number | null;
  temperatureC: number | null;
  gpuUtilPercent: number | null;
  diskFreeBytes: number | null;
  pendingEvents: number | null;
  analysisFps: number | null;
}

/** A device's telemetry from `from` to `to`, in buckets of at least the reporting interval (15 s). */
export async function telemetryHistory(
  db: Queryable,
  deviceId: string,
  from: Date,
  to: Date,
  maxPoints: number,
): Promise<{ bucketSeconds: number; points: TelemetryPoint[] }> {
  const bucketSeconds = Math.max(15, Math.ceil((to.getTime() - from.getTime()) / 1000 / maxPoints));
  const num = (path: string) => `(telemetry #>> '{${path}}')::float8`;
  const { rows } = await db.query<Record<string, number | Date | null>>(
    `SELECT date_bin(make_interval(secs => $4), at, $2::timestamptz) AS at,
            count(*)::int AS reports,
            avg(${num('host,cpuPercent')}) AS "cpuPercent",
            avg(${num('host,loadAvg1')}) AS "loadAvg1",
            max(${num('host,memoryUsedBytes')}) AS "memoryUsedBytes",
            max(${num('host,memoryTotalBytes')}) AS "memoryTotalBytes",
            max(${num('host,temperatureC')}) AS "temperatureC",
            avg(${num('host,gpus,0,utilPercent')}) AS "gpuUtilPercent",
            min(${num('disk,freeBytes')}) AS "diskFreeBytes",
            max(${num('pendingEvents')}) AS "pendingEvents",
            avg(${num('analysisFps')}) AS "analysisFps"
       FROM device_telemetry
      WHERE device_id = $1 AND at >= $2 AND at < $3
      GROUP BY 1 ORDER BY 1`,
    [deviceId, from, to, bucketSeconds],
  );
  const round = (v: unknown) => (typeof v === 'number' ? Math.round(v * 100) / 100 : null);
  return {
    bucketSeconds,
    points: rows.map((r) => ({
      at: (r.at as Date).toISOString(),
      reports: r.reports as number,
      cpuPercent: round(r.cpuPercent),
      loadAvg1: round(r.loadAvg1),
      memoryUsedBytes: round(r.memoryUsedBytes),
      memoryTotalBytes: round(r.memoryTotalBytes),
      temperatureC: round(r.temperatureC),
      gpuUtilPercent: round(r.gpuUtilPercent),
      diskFreeBytes: round(r.diskFreeBytes),
      pendingEvents: round(r.pendingEvents),
      analysisFps: round(r.analysisFps),
    })),
  };
}

/** Deletes telemetry reports older than `keepDays`; run daily by the worker with the other purges. */
export async function purgeTelemetry(db: Queryable, keepDays: number, log?: Logger, now = new Date()) {
  const before = new Date(now.getTime() - keepDays * 86_400_000);
  const { rowCount } = await db.query('DELETE FROM device_telemetry WHERE at < $1', [before]);
  const removed = rowCount ?? 0;
  if (removed) log?.info({ removed, keepDays }, 'device telemetry older than its retention deleted');
  return removed;
}

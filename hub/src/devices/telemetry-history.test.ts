import { createLogger } from '@gic/shared/logging/logger.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/test-database.js';
import type { Database } from '../db/database.js';
import { IngestService } from '../ingest/ingest-service.js';
import { purgeTelemetry, telemetryHistory } from './telemetry-history.js';

const deviceId = 'edge-tel111';
const log = createLogger('telemetry-test', 'silent');
const GIB = 1024 ** 3;

/** A report as an edge sends it, `secondsAgo` before `now`, its figures from `i`. */
const report = (now: number, secondsAgo: number, i: number) => ({
  ts: new Date(now - secondsAgo * 1000).toISOString(),
  source: { state: 'live' },
  procedureId: null,
  analysisFps: 5,
  pendingEvents: i,
  upload: null,
  disk: { freeBytes: (100 - i) * GIB, recordingsBytes: i * GIB },
  models: [],
  modelsOff: [],
  appVersion: '0.1.0',
  host: {
    cpuPercent: i,
    loadAvg1: 1.5,
    cpus: 2,
    memoryUsedBytes: (4 + i / 10) * GIB,
    memoryTotalBytes: 24 * GIB,
    processRssBytes: GIB,
    temperatureC: 40 + i / 2,
    gpus: [
      {
        name: 'NVIDIA L4',
        utilPercent: 2 * i,
        memoryUsedBytes: GIB,
        memoryTotalBytes: 24 * GIB,
        temperatureC: 50,
      },
    ],
  },
});

describe('device telemetry history (ingest to PostgreSQL, buckets, retention)', () => {
  let db: Database;
  let ingest: IngestService;
  beforeAll(async () => {
    ({ db } = await createTestDatabase());
    await db.query("INSERT INTO devices (id, name, public_jwk) VALUES ($1, 'room', '{}')", [deviceId]);
    ingest = new IngestService(db, new Uint8Array(32), 'mqtt://127.0.0.1:9', log);
  });
  afterAll(() => db.end());

  const send = (payload: unknown) =>
    ingest.handle(`gic/v1/d/${deviceId}/telemetry`, Buffer.from(JSON.stringify(payload)));

  it('keeps every report once, answers buckets of means, highs and lows, and purges by age', async () => {
    const now = Date.now();
    // 40 reports 15 s apart over the last 10 minutes; one taken twice (two ingest processes).
    for (let i = 0; i < 40; i++) await send(report(now, (40 - i) * 15, i));
    await send(report(now, 15, 39));
    // Out of range figures are refused whole, as any malformed report.
    await send({ ...report(now, 5, 99), host: { ...report(now, 5, 99).host, cpuPercent: 150 } });

    const { rows } = await db.query('SELECT count(*)::int AS n FROM device_telemetry WHERE device_id = $1', [
      deviceId,
    ]);
    expect(rows[0].n).toBe(40);
    const latest = await db.query('SELECT telemetry FROM devices WHERE id = $1', [deviceId]);
    expect(latest.rows[0].telemetry.host.cpuPercent).toBe(39);

    const history = await telemetryHistory(db, deviceId, new Date(now - 15 * 60_000), new Date(now), 10);
    expect(history.bucketSeconds).toBe(90);
    expect(history.points.length).toBeGreaterThanOrEqual(7);
    expect(history.points.length).toBeLessThanOrEqual(10);
    expect(history.points.reduce((n, p) => n + p.reports, 0)).toBe(40);
    // Means weighted by their reports give back the mean of 0..39; highs and lows the extremes.
    const mean = (key: 'cpuPercent' | 'gpuUtilPercent') =>
      history.points.reduce((s, p) => s + p[key]! * p.reports, 0) / 40;
    expect(mean('cpuPercent')).toBeCloseTo(19.5, 1);
    expect(mean('gpuUtilPercent')).toBeCloseTo(39, 1);
    expect(Math.max(...history.points.map((p) => p.temperatureC!))).toBe(59.5);
    expect(Math.max(...history.points.map((p) => p.pendingEvents!))).toBe(39);
    expect(Math.min(...history.points.map((p) => p.diskFreeBytes!))).toBe(61 * GIB);
    // Buckets in time order, each at most its width apart from the range's start.
    const times = history.points.map((p) => Date.parse(p.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    expect(await purgeTelemetry(db, 1, undefined, new Date(now + 86_400_000 - 5 * 60_000))).toBe(20);
    expect(await purgeTelemetry(db, 1, undefined, new Date(now + 2 * 86_400_000))).toBe(20);
  });
});

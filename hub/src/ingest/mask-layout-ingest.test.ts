import { randomUUID } from 'node:crypto';
import { createLogger } from '@gic/shared/logging/logger.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/test-database.js';
import type { Database } from '../db/database.js';
import { listDevices } from '../devices/devices-repo.js';
import { listProcedures } from '../procedures/procedures-repo.js';
import { IngestService } from './ingest-service.js';

const deviceId = 'edge-mask01';
const layoutEvent = (seq: number, boxes: unknown[], change = 'learned', by: string | null = null) => ({
  id: randomUUID(),
  seq,
  ts: new Date(Date.now() + seq).toISOString(),
  type: 'device.mask-layout',
  body: { boxes, change, by },
});
const banner = { x: 0.02, y: 0.02, w: 0.4, h: 0.06, origin: 'learned' };
const clock = { x: 0.01, y: 0.9, w: 0.1, h: 0.04, origin: 'manual' };

describe('a device mask layout reaching the hub (against PostgreSQL)', () => {
  let db: Database;
  let ingest: IngestService;
  const send = (payload: unknown) =>
    ingest.handle(`gic/v1/d/${deviceId}/events`, Buffer.from(JSON.stringify(payload)));

  beforeAll(async () => {
    ({ db } = await createTestDatabase());
    await db.query("INSERT INTO devices (id, name, public_jwk) VALUES ($1, 'room', '{}')", [deviceId]);
    ingest = new IngestService(db, new Uint8Array(32), 'mqtt://unused', createLogger('test', 'silent'));
  });
  afterAll(() => db.end());

  it('keeps the latest layout as part of the device record, whatever order events arrive in', async () => {
    const learned = layoutEvent(10, [banner]);
    const edited = layoutEvent(11, [banner, clock], 'edited', 'nurse.kim');
    await send(edited);
    await send(learned); // late, and older: changes nothing
    await send(edited); // a resend: a duplicate
    const [device] = await listDevices(db, { all: true, sites: [] });
    expect(device).toMatchObject({
      mask_layout: [banner, clock],
      mask_layout_change: 'edited',
      mask_layout_by: 'nurse.kim',
    });
    expect(ingest.stats).toMatchObject({ applied: 2, duplicates: 1, deadLettered: 0 });
    // Not a procedure: none was made up for it.
    expect(await listProcedures(db, 10, 0)).toEqual([]);
  });

  it('dead-letters a layout with a region outside the frame', async () => {
    await send(layoutEvent(12, [{ x: 0.5, y: 0.5, w: 2, h: 0.1, origin: 'learned' }]));
    expect(ingest.stats.deadLettered).toBe(1);
  });

  it('stores the share of the picture a procedure masked, from its end', async () => {
    const procedureId = randomUUID();
    await send({
      id: randomUUID(),
      seq: 20,
      ts: new Date().toISOString(),
      procedureId,
      type: 'procedure.ended',
      body: {
        endedAt: new Date().toISOString(),
        analysedFrames: 0,
        reason: 'operator',
        maskedInPicture: 0.0042,
      },
    });
    const [procedure] = await listProcedures(db, 10, 0);
    expect(procedure!.maskedInPicture).toBeCloseTo(0.0042, 6);
  });
});

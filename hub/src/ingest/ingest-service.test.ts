import { randomUUID } from 'node:crypto';
import { createLogger } from '@gic/shared/logging/logger.js';
import { type DeviceEvent, deviceEventSchema } from '@gic/shared/messages/events.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/test-database.js';
import { hubProcedureFacts } from '../chat/hub-procedure-facts.js';
import { type Database, inTransaction } from '../db/database.js';
import { loadTimeline } from '../procedures/procedure-timeline.js';
import { listProcedures } from '../procedures/procedures-repo.js';
import { applyFrameRun } from './apply-frame-run.js';
import { IngestService } from './ingest-service.js';

const deviceId = 'edge-aaa111';
const otherDevice = 'edge-bbb222';
const topic = (d: string) => `gic/v1/d/${d}/events`;
let seq = 0;

function event(type: string, procedureId: string, body: unknown) {
  return { id: randomUUID(), seq: ++seq, ts: new Date().toISOString(), procedureId, type, body };
}
const frame = (procedureId: string, frameIndex: number) =>
  event('frame.analysed', procedureId, {
    frameIndex,
    ptsMs: frameIndex * 333,
    width: 512,
    height: 288,
    quality: { sharpness: 50, brightness: 0.3, blurred: false, exposure: 'ok', inBody: true },
    privacyRegions: [{ x: 0, y: 0, w: 0.5, h: 0.1 }],
    detections: [],
    models: [{ id: 'pp-ocrv4-det', version: '4.0.0', executionProvider: 'cpu' }],
    modelsOff: [],
    latencyMs: 30,
  });
/** A frame event as the ingest has it once validated. */
const frameEvent = (e: ReturnType<typeof frame>) =>
  deviceEventSchema.parse(e) as Extract<DeviceEvent, { type: 'frame.analysed' }>;
const send = (ingest: IngestService, device: string, payload: unknown) =>
  ingest.handle(topic(device), Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)));

describe('IngestService.handle (against PostgreSQL)', () => {
  let db: Database;
  let ingest: IngestService;

  beforeAll(async () => {
    ({ db } = await createTestDatabase());
    for (const id of [deviceId, otherDevice]) {
      await db.query("INSERT INTO devices (id, name, public_jwk) VALUES ($1, 'room', '{}')", [id]);
    }
    ingest = new IngestService(db, new Uint8Array(32), 'mqtt://unused', createLogger('test', 'silent'));
  });
  afterAll(() => db.end());

  it('applies a procedure once however often its events arrive, in any order', async () => {
    const procedureId = randomUUID();
    const started = event('procedure.started', procedureId, {
      startedAt: new Date().toISOString(),
      source: { kind: 'file', label: 'clip.mp4' },
    });
    const frames = [frame(procedureId, 0), frame(procedureId, 1)];
    const ended = event('procedure.ended', procedureId, {
      endedAt: new Date().toISOString(),
      analysedFrames: 2,
      reason: 'source-ended',
    });
    // Out of order and duplicated, as a reconnecting device may deliver them.
    for (const e of [frames[1], ended, started, frames[0], frames[1], started, ended])
      await send(ingest, deviceId, e);

    const { rows } = await db.query('SELECT * FROM procedures WHERE id = $1', [procedureId]);
    expect(rows[0]).toMatchObject({ device_id: deviceId, source_label: 'clip.mp4', device_frame_count: 2 });
    expect(rows[0].started_at).not.toBeNull();
    expect(rows[0].ended_at).not.toBeNull();
    const { rows: stored } = await db.query(
      'SELECT frame_index, privacy_region_count FROM frame_analyses WHERE procedure_id = $1 ORDER BY frame_index',
      [procedureId],
    );
    expect(stored).toEqual([
      { frame_index: 0, privacy_region_count: 1 },
      { frame_index: 1, privacy_region_count: 1 },
    ]);
    expect(ingest.stats).toMatchObject({ applied: 4, duplicates: 3 });
  });

  it('dead-letters bad payloads with the reason and keeps going', async () => {
    const before = ingest.stats.deadLettered;
    await send(ingest, deviceId, '{not json');
    await send(ingest, deviceId, { ...frame(randomUUID(), 0), type: 'frame.exploded' });
    const badBox = frame(randomUUID(), 0);
    (badBox.body as { privacyRegions: unknown[] }).privacyRegions = [{ x: 0, y: 0, w: 5, h: 1 }];
    await send(ingest, deviceId, badBox);
    const { rows } = await db.query('SELECT device_id, reason FROM dead_letters ORDER BY id');
    expect(rows.map((r) => r.reason)).toEqual([
      'payload is not JSON',
      expect.stringContaining('type'),
      expect.stringContaining('body.privacyRegions.0.w'),
    ]);
    expect(rows.every((r) => r.device_id === deviceId)).toBe(true);
    expect(ingest.stats.deadLettered).toBe(before + 3);
  });

  it('refuses events that name another device’s procedure', async () => {
    const procedureId = randomUUID();
    await send(ingest, deviceId, frame(procedureId, 0));
    await send(ingest, otherDevice, frame(procedureId, 1));
    const { rows } = await db.query('SELECT device_id FROM frame_analyses WHERE procedure_id = $1', [
      procedureId,
    ]);
    expect(rows).toEqual([{ device_id: deviceId }]);
    const { rows: dead } = await db.query('SELECT reason FROM dead_letters WHERE device_id = $1', [
      otherDevice,
    ]);
    expect(dead[0]?.reason).toMatch(/belongs to another device/);
  });

  it('takes a run of frame analyses in one go with the same effects, duplicates and refusals as one by one', async () => {
    const mine = randomUUID();
    const theirs = randomUUID();
    await send(ingest, otherDevice, frame(theirs, 0)); // a procedure of the other device
    const earlier = frame(mine, 0);
    await send(ingest, deviceId, earlier); // already at the hub
    const fresh = [1, 2, 3, 4].map((i) => frame(mine, i));
    const intruder = frame(theirs, 9); // names the other device's procedure: refused alone
    const asBatch = (payloads: unknown[]) =>
      payloads.map((p) => ({ topic: topic(deviceId), payload: Buffer.from(JSON.stringify(p)) }));
    const before = { ...ingest.stats };
    // A run the fast path takes whole: one already here, one sent twice in the batch.
    const direct = await inTransaction(db, (tx) =>
      applyFrameRun(
        tx,
        [earlier, fresh[0]!, fresh[1]!, fresh[1]!].map((event) => ({ deviceId, event: frameEvent(event) })),
      ),
    );
    expect(direct).toEqual(['duplicates', 'applied', 'applied', 'duplicates']);
    // Through the ingest, a run with an event it must refuse: replayed one by one, only that one refused.
    await ingest.handleBatch(asBatch([earlier, fresh[1], intruder, fresh[2], fresh[3]]));
    expect(ingest.stats.applied - before.applied).toBe(2);
    expect(ingest.stats.duplicates - before.duplicates).toBe(2);
    const { rows } = await db.query(
      'SELECT frame_index, pts_ms, privacy_region_count, analysis FROM frame_analyses WHERE procedure_id = $1 ORDER BY frame_index',
      [mine],
    );
    expect(rows.map((r) => r.frame_index)).toEqual([0, 1, 2, 3, 4]);
    // Stored as one by one stores it: the whole analysis, its counts and time.
    expect(rows[3]).toEqual({
      frame_index: 3,
      pts_ms: 999,
      privacy_region_count: 1,
      analysis: fresh[2]!.body,
    });
    const { rows: events } = await db.query(
      'SELECT seq::int AS seq FROM device_events WHERE procedure_id = $1 ORDER BY seq',
      [mine],
    );
    expect(events.map((e) => e.seq)).toEqual([earlier, ...fresh].map((e) => e.seq));
    const { rows: dead } = await db.query('SELECT reason FROM dead_letters WHERE payload LIKE $1', [
      `%${intruder.id}%`,
    ]);
    expect(dead).toEqual([{ reason: expect.stringMatching(/belongs to another device/) }]);
    const { rows: theirFrames } = await db.query(
      'SELECT device_id FROM frame_analyses WHERE procedure_id = $1',
      [theirs],
    );
    expect(theirFrames).toEqual([{ device_id: otherDevice }]);
  });

  it('keeps the latest state of each alert and what the edge says of its recording', async () => {
    const procedureId = randomUUID();
    const alertId = randomUUID();
    const change = (state: string, extra: Record<string, unknown> = {}) =>
      event('alert.changed', procedureId, {
        alertId,
        label: 'polyp',
        modelId: 'polyp-det',
        modelVersion: '2.1',
        firstFrameIndex: 3,
        raisedFrameIndex: 5,
        raisedAt: new Date().toISOString(),
        bestScore: 0.8,
        box: { x: 0.1, y: 0.1, w: 0.2, h: 0.2 },
        shown: true,
        state,
        acknowledgedBy: null,
        acknowledgedAt: null,
        dismissedBy: null,
        dismissedAt: null,
        ...extra,
      });
    const raised = change('active');
    const acked = change('acknowledged', {
      acknowledgedBy: 'dr.jones',
      acknowledgedAt: new Date().toISOString(),
    });
    // The newer change arrives first; the older one must not overwrite it.
    await send(ingest, deviceId, acked);
    await send(ingest, deviceId, raised);
    const { rows } = await db.query('SELECT state, acknowledged_by FROM alerts WHERE id = $1', [alertId]);
    expect(rows).toEqual([{ state: 'acknowledged', acknowledged_by: 'dr.jones' }]);

    await send(
      ingest,
      deviceId,
      event('recording.sealed', procedureId, {
        recordingId: randomUUID(),
        status: 'failed',
        sizeBytes: null,
        sha256: null,
        error: 'recorder wrote no data',
      }),
    );
    await send(
      ingest,
      deviceId,
      event('procedure.ended', procedureId, {
        endedAt: new Date().toISOString(),
        analysedFrames: 0,
        reason: 'shutdown',
      }),
    );
    const [summary] = (await listProcedures(db, 100, 0)).filter((p) => p.id === procedureId);
    expect(summary).toMatchObject({ findings: 1, syncState: 'no-recording' });
  });

  it('keeps who started and ended a procedure, and waits for every segment up to the final one', async () => {
    const procedureId = randomUUID();
    const seal = (segmentIndex: number, final: boolean, recordingId = randomUUID(), startedAt?: string) =>
      event('recording.sealed', procedureId, {
        recordingId,
        status: 'ready',
        sizeBytes: 1000 + segmentIndex,
        sha256: String(segmentIndex).repeat(64),
        error: null,
        segmentIndex,
        final,
        ...(startedAt ? { startedAt } : {}),
      });
    await send(
      ingest,
      deviceId,
      event('procedure.started', procedureId, {
        startedAt: new Date().toISOString(),
        source: { kind: 'v4l2', label: '/dev/video0' },
        trigger: 'auto',
        operator: 'dr.who',
      }),
    );
    await send(
      ingest,
      deviceId,
      event('procedure.ended', procedureId, {
        endedAt: new Date().toISOString(),
        analysedFrames: 0,
        reason: 'operator',
        endedBy: 'dr.who',
      }),
    );
    const summary = async () => (await listProcedures(db, 100, 0)).find((p) => p.id === procedureId)!;
    const first = seal(0, false);
    const lastId = randomUUID();
    // Segment 1 is sealed as not final first; a later seal of the same segment marks it final.
    await send(ingest, deviceId, first);
    // Segment 1 says when its first frame was captured (segment 0, like an older edge, does not).
    await send(ingest, deviceId, seal(1, false, lastId, '2026-11-24T10:00:01.500Z'));
    expect(await summary()).toMatchObject({
      startTrigger: 'auto',
      operator: 'dr.who',
      endedBy: 'dr.who',
      endReason: 'operator',
      syncState: 'awaiting-recording',
      recording: { segments: 2, available: 0, sizeBytes: 2001, complete: false },
    });
    const finalSeal = seal(1, true, lastId);
    await send(ingest, deviceId, finalSeal);
    await send(ingest, deviceId, { ...seal(1, false, lastId), seq: finalSeal.seq - 1 }); // older: ignored
    expect((await summary()).recording).toMatchObject({ segments: 2, complete: true });
    expect((await summary()).syncState).toBe('awaiting-recording'); // nothing uploaded yet
    // Both segments uploaded and verified: the procedure's recording is available.
    for (const i of [0, 1]) {
      await db.query(
        `INSERT INTO recordings (id, procedure_id, device_id, object_key, size_bytes, part_size, sha256_claimed,
           sha256_verified, status) VALUES ($1, $2, $3, $4, 1000, 5242880, $5, $5, $6)`,
        [
          randomUUID(),
          procedureId,
          deviceId,
          `k/${procedureId}/${i}`,
          String(i).repeat(64),
          i === 0 ? 'available' : 'verifying',
        ],
      );
    }
    expect((await summary()).syncState).toBe('verifying');
    await db.query("UPDATE recordings SET status = 'available' WHERE procedure_id = $1", [procedureId]);
    const done = await summary();
    expect(done.syncState).toBe('available');
    // The final seal came without a start time: the one the first seal gave is kept.
    expect(done.segments.map((s) => [s.segmentIndex, s.final, s.status, s.startedAt])).toEqual([
      [0, false, 'available', null],
      [1, true, 'available', '2026-11-24T10:00:01.500Z'],
    ]);
  });

  it('stores each chat message once per device and message id, and dead-letters bad ones', async () => {
    const procedureId = randomUUID();
    const sessionId = randomUUID();
    const message = (body: Record<string, unknown> = {}) => ({
      messageId: randomUUID(),
      sessionId,
      role: 'user',
      text: 'How long should withdrawal take?',
      at: new Date().toISOString(),
      by: 'trainee.1',
      ...body,
    });
    const question = event('chat.message', procedureId, message());
    const before = { ...ingest.stats };
    // Resent as is, and again under a new event id (as an edge that re-queued it would): one row.
    await send(ingest, deviceId, question);
    await send(ingest, deviceId, question);
    await send(ingest, deviceId, { ...question, id: randomUUID(), seq: ++seq });
    const { rows } = await db.query(
      'SELECT device_id, event_id, session_id, procedure_id, role, text, by FROM chat_messages WHERE session_id = $1',
      [sessionId],
    );
    expect(rows).toEqual([
      {
        device_id: deviceId,
        event_id: question.id,
        session_id: sessionId,
        procedure_id: procedureId,
        role: 'user',
        text: 'How long should withdrawal take?',
        by: 'trainee.1',
      },
    ]);
    expect(ingest.stats.applied - before.applied).toBe(2); // two distinct events, one message
    expect(ingest.stats.duplicates - before.duplicates).toBe(1);

    // The same message id from another device is that device's own message.
    const elsewhere = event('chat.message', randomUUID(), { ...(question.body as object), by: undefined });
    await send(ingest, otherDevice, elsewhere);
    const { rows: both } = await db.query(
      'SELECT device_id, by FROM chat_messages WHERE message_id = $1 ORDER BY device_id',
      [(question.body as { messageId: string }).messageId],
    );
    expect(both).toEqual([
      { device_id: deviceId, by: 'trainee.1' },
      { device_id: otherDevice, by: null },
    ]);

    const dead = ingest.stats.deadLettered;
    await send(ingest, deviceId, event('chat.message', procedureId, message({ text: 'x'.repeat(8001) })));
    await send(ingest, deviceId, event('chat.message', procedureId, message({ role: 'system' })));
    const { rows: letters } = await db.query('SELECT reason FROM dead_letters ORDER BY id DESC LIMIT 2');
    expect(letters.map((r) => r.reason)).toEqual([
      expect.stringContaining('body.role'),
      expect.stringContaining('body.text'),
    ]);
    expect(ingest.stats.deadLettered).toBe(dead + 2);
    const { rows: count } = await db.query(
      'SELECT count(*)::int AS n FROM chat_messages WHERE session_id = $1',
      [sessionId],
    );
    expect(count[0].n).toBe(2); // this device's question and the other device's copy
  });

  it("stores the VLM's frame findings once, with the failure reason when there are none", async () => {
    const procedureId = randomUUID();
    const findings = {
      finding: 'sessile polyp',
      findingType: 'polyp',
      location: 'sigmoid',
      sizeMm: 6,
      paris: '0-Is',
      nice: 1,
      bowelPrep: 3,
      imageQuality: { usable: true, remarks: ['bubbles'] },
      scene: {
        light: 'narrow-band',
        dye: false,
        instrument: 'snare',
        flushing: false,
        occluded: false,
        outsidePatient: false,
      },
    };
    const body = (extra: object) => ({
      findingsId: randomUUID(),
      at: new Date().toISOString(),
      ptsMs: 61_000,
      trigger: 'flagged',
      outcome: 'parsed',
      findings,
      reason: null,
      modelId: 'medgemma-4b-it',
      attempts: 1,
      ms: 1800,
      ...extra,
    });
    const parsed = event('frame.findings', procedureId, body({}));
    const failed = event(
      'frame.findings',
      procedureId,
      body({
        at: new Date(Date.now() + 5000).toISOString(),
        outcome: 'unparseable',
        findings: null,
        reason: 'no valid JSON after one repair',
        attempts: 2,
      }),
    );
    // Resent, and the same findings id in a second event: stored once.
    const again = { ...parsed, id: randomUUID(), seq: ++seq };
    for (const e of [parsed, failed, parsed, again]) await send(ingest, deviceId, e);
    const { rows } = await db.query(
      `SELECT trigger, outcome, findings, reason, model_id, attempts, pts_ms FROM frame_findings
       WHERE procedure_id = $1 ORDER BY outcome`,
      [procedureId],
    );
    expect(rows).toEqual([
      {
        trigger: 'flagged',
        outcome: 'parsed',
        findings,
        reason: null,
        model_id: 'medgemma-4b-it',
        attempts: 1,
        pts_ms: 61_000,
      },
      {
        trigger: 'flagged',
        outcome: 'unparseable',
        findings: null,
        reason: 'no valid JSON after one repair',
        model_id: 'medgemma-4b-it',
        attempts: 2,
        pts_ms: 61_000,
      },
    ]);
    // On the review page's timeline, and as the review chat's latest frame analyses.
    const timeline = await loadTimeline(db, procedureId);
    expect(timeline!.modelReadings).toEqual([
      expect.objectContaining({
        outcome: 'parsed',
        text: 'model: sessile polyp (polyp); location sigmoid; about 6 mm; Paris 0-Is; NICE 1; bowel preparation 3/3; image usable (bubbles); narrow-band; snare in view',
      }),
      expect.objectContaining({
        outcome: 'unparseable',
        text: null,
        reason: 'no valid JSON after one repair',
      }),
    ]);
    const facts = await hubProcedureFacts(db)(procedureId);
    expect(facts!.analyses.map((a) => a.text)).toEqual([timeline!.modelReadings![0]!.text]);
    // Findings that break the schema are dead-lettered, not stored.
    const dead = ingest.stats.deadLettered;
    await send(
      ingest,
      deviceId,
      event('frame.findings', procedureId, body({ findings: { ...findings, nice: 4 } })),
    );
    expect(ingest.stats.deadLettered).toBe(dead + 1);
  });
});

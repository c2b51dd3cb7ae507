import type { DeviceEvent, FrameAnalysis } from '@gic/shared/messages/events.js';
import { deviceEventSchema } from '@gic/shared/messages/events.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { ProcedureLog } from '../live/procedure-log.js';
import { SqliteOutbox } from '../outbox/sqlite-outbox.js';
import { type EdgeDatabase, openEdgeDatabase } from '../store/edge-database.js';
import { type OpenProcedure, ProcedureController, type ProcedureRules } from './procedure-controller.js';

const rules: ProcedureRules = { auto: true, autoStartMs: 3000, autoEndMs: 10_000, sourceLostEndMs: 20_000 };

function frame(index: number, inBody: boolean, fps = 2): FrameAnalysis {
  return {
    frameIndex: index,
    ptsMs: (index * 1000) / fps,
    width: 64,
    height: 64,
    quality: { sharpness: 10, brightness: 0.5, blurred: false, exposure: 'ok', inBody },
    privacyRegions: [],
    detections: [],
    models: [],
    modelsOff: [],
    latencyMs: 1,
  };
}

describe('ProcedureController', () => {
  let db: EdgeDatabase;
  let outbox: SqliteOutbox;
  let clock: number;
  let started: OpenProcedure[];
  let ended: { id: string; reason: string; endedAt: string }[];
  let operator: string | null;
  let controller: ProcedureController;

  const make = (r: ProcedureRules = rules) =>
    new ProcedureController(
      new ProcedureLog(db, outbox),
      { kind: 'test' },
      'test pattern',
      r,
      {
        started: (p) => started.push({ ...p }),
        ended: (p, reason, endedAt) => ended.push({ id: p.id, reason, endedAt }),
      },
      () => operator,
      () => clock,
    );
  /** Feeds frames at 2 fps, moving the wall clock with them. */
  const feed = (from: number, to: number, inBody: boolean) => {
    const fates = [];
    for (let i = from; i < to; i++) {
      clock = 1_000_000 + i * 500;
      fates.push(controller.frame(frame(i, inBody)));
    }
    return fates;
  };
  const events = (): DeviceEvent[] =>
    (db.prepare('SELECT payload FROM outbox ORDER BY seq').all() as { payload: string }[]).map((r) =>
      deviceEventSchema.parse(JSON.parse(r.payload)),
    );
  const rows = () =>
    db.prepare('SELECT * FROM procedures ORDER BY started_at').all() as Record<string, unknown>[];

  beforeEach(() => {
    db = openEdgeDatabase(':memory:');
    outbox = new SqliteOutbox(db);
    clock = 1_000_000;
    started = [];
    ended = [];
    operator = 'dr.a';
    controller = make();
  });

  it('starts by itself after in-body video for autoStartMs, dated back, with the frames seen meanwhile', () => {
    expect(feed(0, 4, false)).toEqual(['idle', 'idle', 'idle', 'idle']);
    const fates = feed(4, 12, true); // in body from frame 4 (pts 2000 ms); 3 s later is frame 10
    expect(fates).toEqual([
      'pending',
      'pending',
      'pending',
      'pending',
      'pending',
      'pending',
      'recorded',
      'recorded',
    ]);
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ trigger: 'auto', operator: 'dr.a' });
    expect(started[0]!.startedAt).toBe(new Date(1_000_000 + 4 * 500).toISOString());
    const [row] = rows();
    expect(row).toMatchObject({ frame_count: 8, start_trigger: 'auto', operator: 'dr.a', ended_at: null });
    const first = events()[0]!;
    expect(first).toMatchObject({ type: 'procedure.started', body: { trigger: 'auto', operator: 'dr.a' } });
    const frames = events().filter((e) => e.type === 'frame.analysed');
    expect(frames.map((e) => (e.body as FrameAnalysis).frameIndex)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('does not start on a brief look inside the body', () => {
    feed(0, 4, true); // 1.5 s in body
    feed(4, 10, false);
    feed(10, 14, true);
    expect(started).toHaveLength(0);
    expect(rows()).toHaveLength(0);
    expect(outbox.size()).toBe(0);
  });

  it('ends by itself after out-of-body video for autoEndMs, dated back to when the scope came out', () => {
    feed(0, 10, true);
    expect(controller.current).toBeDefined();
    feed(10, 20, false); // 5 s outside: still open (a brief withdrawal to clean the lens)
    expect(ended).toHaveLength(0);
    feed(20, 22, true);
    feed(22, 44, false); // out from frame 22 (wall 1_011_000); 10 s later is frame 42
    expect(ended).toEqual([
      { id: started[0]!.id, reason: 'out-of-body', endedAt: new Date(1_000_000 + 22 * 500).toISOString() },
    ]);
    const end = events().find((e) => e.type === 'procedure.ended')!;
    expect(end.body).toMatchObject({ reason: 'out-of-body', analysedFrames: 43, endedBy: null });
    expect(controller.current).toBeUndefined();
  });

  it('an operator can start and end; after an operator end it waits for the scope to come out', () => {
    const p = controller.start('dr.b');
    expect(p).toMatchObject({ trigger: 'operator', operator: 'dr.b' });
    expect(controller.start('dr.c')).toBeUndefined(); // one at a time
    feed(0, 4, true);
    expect(controller.end('operator', 'dr.b')?.id).toBe(p!.id);
    expect(controller.end('operator', 'dr.b')).toBeUndefined();
    expect(rows()[0]).toMatchObject({ end_reason: 'operator', ended_by: 'dr.b', frame_count: 4 });
    expect(feed(4, 20, true).every((f) => f === 'idle')).toBe(true); // still inside: no restart
    feed(20, 22, false);
    feed(22, 30, true);
    expect(started).toHaveLength(2);
    expect(started[1]).toMatchObject({ trigger: 'auto' });
  });

  it('a finding while a start is pending starts the procedure at once', () => {
    feed(0, 2, true);
    const p = controller.startForFinding();
    expect(p).toMatchObject({ trigger: 'finding' });
    expect(rows()[0]).toMatchObject({ frame_count: 2 });
    expect(make().startForFinding()).toBeUndefined(); // nothing pending, nothing open
  });

  it('with automatic control off, only operators start and end procedures', () => {
    controller = make({ ...rules, auto: false });
    expect(feed(0, 20, true).every((f) => f === 'idle')).toBe(true);
    expect(controller.startForFinding()).toBeUndefined();
    controller.start(null);
    expect(started[0]).toMatchObject({ operator: 'dr.a' }); // the signed-in endoscopist
    feed(20, 60, false);
    expect(ended).toHaveLength(0);
  });

  it('a lost source ends the procedure only if it stays lost, dated to the loss', () => {
    feed(0, 10, true);
    controller.sourceLost();
    clock += 19_000;
    controller.tick();
    expect(ended).toHaveLength(0);
    controller.runStarted(); // the source is back in time
    feed(10, 12, true);
    controller.tick();
    clock += 30_000;
    controller.tick();
    expect(ended).toHaveLength(0);
    controller.sourceLost();
    const lostAt = clock;
    clock += 20_000;
    controller.tick();
    expect(ended).toEqual([
      { id: started[0]!.id, reason: 'source-lost', endedAt: new Date(lostAt).toISOString() },
    ]);
  });

  it("a file's end ends the procedure", () => {
    feed(0, 10, true);
    controller.sourceEnded();
    expect(ended[0]).toMatchObject({ reason: 'source-ended' });
    controller.sourceEnded();
    expect(ended).toHaveLength(1);
  });

  it('marks the cecum once, only in an open procedure', () => {
    expect(controller.markCecum('dr.a')).toBeUndefined();
    controller.start('dr.a');
    const marked = controller.markCecum('dr.a');
    expect(marked?.procedureId).toBe(controller.current?.id);
    expect(controller.current?.cecumReachedAt).toBe(marked?.at);
    expect(controller.markCecum('dr.a')).toBeUndefined();
  });
});

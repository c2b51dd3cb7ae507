import type { Detection, FrameAnalysis } from '@gic/shared/messages/events.js';
import { describe, expect, it } from 'vitest';
import { alertSettingsSchema } from '../alerts/alert-settings.js';
import { AlertsStore } from '../alerts/alerts-store.js';
import { OperatorsStore } from '../operators/operators-store.js';
import { SqliteOutbox } from '../outbox/sqlite-outbox.js';
import { ProcedureController } from '../procedures/procedure-controller.js';
import { openEdgeDatabase } from '../store/edge-database.js';
import { LiveSession } from './live-session.js';
import { LiveStateHolder } from './live-state.js';
import { ProcedureLog } from './procedure-log.js';

const polyp: Detection = {
  label: 'polyp',
  score: 0.9,
  box: { x: 0.4, y: 0.4, w: 0.1, h: 0.1 },
  modelId: 'tiny',
};

function frame(index: number, inBody: boolean, detections: Detection[] = []): FrameAnalysis {
  return {
    frameIndex: index,
    ptsMs: index * 200,
    width: 64,
    height: 64,
    quality: { sharpness: 10, brightness: 0.5, blurred: false, exposure: 'ok', inBody },
    privacyRegions: [],
    detections,
    models: [{ id: 'tiny', version: '1', executionProvider: 'cpu' }],
    modelsOff: [],
    latencyMs: 1,
  };
}

function session(auto = true, changed = () => {}) {
  const db = openEdgeDatabase(':memory:');
  const outbox = new SqliteOutbox(db);
  const operators = new OperatorsStore(db, alertSettingsSchema.parse({ minDurationMs: 0 }));
  const live = new LiveStateHolder('test', 'test pattern');
  const ended: string[] = [];
  const controller: ProcedureController = new ProcedureController(
    new ProcedureLog(db, outbox),
    { kind: 'test' },
    'test pattern',
    { auto, autoStartMs: 3000, autoEndMs: 1000, sourceLostEndMs: 10_000 },
    {
      started: (p) => s.procedureHooks.started(p),
      ended: (p, reason, endedAt) => s.procedureHooks.ended(p, reason, endedAt),
    },
    () => operators.signedIn,
  );
  const s: LiveSession = new LiveSession(live, controller, new AlertsStore(db, outbox), operators, {
    changed,
    eventsWaiting: () => {},
    procedureStarted: () => {},
    procedureEnded: (p, reason) => ended.push(`${p.id}:${reason}`),
    screens: () => 1,
  });
  return { db, s, live, operators, ended };
}

describe('LiveSession', () => {
  it('a finding while an automatic start is pending starts the procedure, and alerts once, audited in it', () => {
    const { db, s, live } = session();
    expect(s.analysed(frame(0, true))).toEqual([]);
    expect(live.state.procedurePending).toBe(true);
    const raised = s.analysed(frame(1, true, [polyp]));
    expect(raised).toHaveLength(1);
    const procedure = live.state.procedure!;
    expect(procedure).toMatchObject({ trigger: 'finding', frames: 2 });
    for (let i = 2; i < 8; i++) expect(s.analysed(frame(i, true, [polyp]))).toEqual([]); // one alert per lesion
    const rows = db.prepare('SELECT procedure_id, state FROM alerts').all();
    expect(rows).toEqual([{ procedure_id: procedure.id, state: 'active' }]);
    expect(live.state.findings.map((f) => f.id)).toEqual([raised[0]!.id]);
    expect(s.acknowledge(raised[0]!.id, 'dr.a')?.state).toBe('acknowledged');
    expect(live.state.alerts.map((a) => a.state)).toEqual(['acknowledged']);
  });

  it('raises nothing outside a procedure when procedures are started by hand', () => {
    const { db, s, live } = session(false);
    for (let i = 0; i < 5; i++) expect(s.analysed(frame(i, true, [polyp]))).toEqual([]);
    expect(live.state.alerts).toEqual([]);
    expect(db.prepare('SELECT count(*) AS n FROM alerts').get()).toEqual({ n: 0 });
    expect(s.startProcedure('dr.b')).toMatchObject({ operator: 'dr.b', trigger: 'operator' });
    expect(s.analysed(frame(5, true, [polyp]))).toHaveLength(1);
  });

  it("ends the open alerts with their procedure, and follows the signed-in endoscopist's settings", () => {
    const { db, s, live, operators, ended } = session();
    operators.save('dr.c', { sensitivity: 0.95 });
    s.signIn('dr.c');
    expect(live.state.operator).toBe('dr.c');
    expect(s.alertSettings.sensitivity).toBe(0.95);
    s.startProcedure(null);
    expect(live.state.procedure?.operator).toBe('dr.c');
    expect(s.analysed(frame(0, true, [polyp]))).toEqual([]); // 0.9 is below dr.c's 0.95
    s.signIn(null);
    expect(s.analysed(frame(1, true, [polyp]))).toHaveLength(1); // the room's 0.6
    // Outside for 1 s with the lesion still tracked: the procedure ends, and its alert with it.
    for (let i = 2; i < 9; i++) s.analysed(frame(i, false, [polyp]));
    expect(ended).toEqual([`${live.state.procedure!.id}:out-of-body`]);
    expect(live.state.procedure?.endedAt).toBeDefined();
    expect(live.state.alerts).toEqual([]);
    expect(db.prepare('SELECT state FROM alerts').all()).toEqual([{ state: 'ended' }]);
  });

  it("tells where a frame's time went when asked: SQLite, alerts, and the push to the screens", () => {
    // A push that takes 5 ms (a slow screen socket, say): its time shows under `push`, not elsewhere.
    const slowPush = () => {
      const until = performance.now() + 5;
      while (performance.now() < until);
    };
    const { db, s } = session(true, slowPush);
    s.startProcedure(null);
    const times: Record<string, number> = {};
    expect(s.analysed(frame(0, true, [polyp]), times)).toHaveLength(1);
    expect(Object.keys(times).sort()).toEqual(['alerts', 'push', 'store']);
    expect(times.push!).toBeGreaterThanOrEqual(5);
    expect(times.store!).toBeLessThan(times.push!);
    // The frame was stored as ever.
    expect(db.prepare('SELECT COUNT(*) AS n FROM frame_analyses').get()).toEqual({ n: 1 });
  });
});

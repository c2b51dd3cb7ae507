import type { PrivacyMask } from '@gic/shared/analysis/privacy/privacy-mask.js';
import type { RgbFrame } from '@gic/shared/media/frame.js';
import { deviceEventSchema, type FrameAnalysis } from '@gic/shared/messages/events.js';
import { ScriptedVlmEngine } from '@gic/shared/testing/scripted-vlm.js';
import type { VlmRequest } from '@gic/shared/vlm/vlm-engine.js';
import { describe, expect, it } from 'vitest';
import { edgeProcedureFacts } from '../chat/edge-procedure-facts.js';
import { ProcedureLog } from '../live/procedure-log.js';
import { SqliteOutbox } from '../outbox/sqlite-outbox.js';
import { openEdgeDatabase } from '../store/edge-database.js';
import { EdgeFrameFindings, FINDINGS_NOTICE } from './edge-frame-findings.js';
import { FrameFindingsLog } from './frame-findings-log.js';

const VALID = JSON.stringify({
  finding: 'sessile polyp',
  findingType: 'polyp',
  location: 'sigmoid',
  sizeMm: 6,
  paris: '0-Is',
  nice: 1,
  bowelPrep: 3,
  imageQuality: { usable: true, remarks: [] },
  scene: {
    light: 'white-light',
    dye: false,
    instrument: 'none',
    flushing: false,
    occluded: false,
    outsidePatient: false,
  },
});
const isRepair = (req: VlmRequest) => req.messages.length > 2;

/** A 3x2 frame, rows padded to 12 bytes as GStreamer does, every byte 200. */
const frame = (ptsMs: number): RgbFrame => ({
  data: new Uint8Array(24).fill(200),
  width: 3,
  height: 2,
  stride: 12,
  index: Math.round(ptsMs / 200),
  ptsMs,
});
const analysis = (f: RgbFrame, opts: { inBody?: boolean; flagged?: boolean } = {}) =>
  ({
    frameIndex: f.index,
    ptsMs: f.ptsMs,
    width: f.width,
    height: f.height,
    quality: { sharpness: 50, brightness: 0.4, blurred: false, exposure: 'ok', inBody: opts.inBody ?? true },
    privacyRegions: [],
    detections: opts.flagged
      ? [{ label: 'polyp', score: 0.9, box: { x: 0.5, y: 0.5, w: 0.2, h: 0.2 }, modelId: 'polyp' }]
      : [],
    models: [],
    modelsOff: [],
    latencyMs: 10,
  }) satisfies FrameAnalysis;
/** The left third of the frame (a text box) burned out. */
const MASK: PrivacyMask = { full: false, boxes: [{ x: 0, y: 0, w: 0.3, h: 1 }] };

function setup(answer: (req: VlmRequest) => string, intervalMs = 30_000, offReason?: string) {
  const db = openEdgeDatabase(':memory:');
  const outbox = new SqliteOutbox(db);
  const procedures = new ProcedureLog(db, outbox);
  const { id: procedureId } = procedures.start({ kind: 'test' } as never, 'test', {
    trigger: 'operator',
    operator: null,
  });
  const engine = new ScriptedVlmEngine(answer, { model: 'tiny-gemma3', ...(offReason ? { offReason } : {}) });
  let current: string | undefined = procedureId;
  const stored: string[] = [];
  const findings = new EdgeFrameFindings({
    engine,
    log: new FrameFindingsLog(db, outbox),
    procedureId: () => current,
    intervalMs,
    stored: (s) => stored.push(s.outcome),
  });
  const events = () =>
    outbox
      .due(100, new Date(Date.now() + 60_000))
      .filter((e) => e.type === 'frame.findings')
      .map((e) => deviceEventSchema.parse(JSON.parse(e.payload)));
  const settled = (n: number) => expect.poll(() => stored.length, { timeout: 5000, interval: 5 }).toBe(n);
  return {
    db,
    engine,
    findings,
    procedureId,
    stored,
    events,
    settled,
    endProcedure: () => (current = undefined),
  };
}

describe('frame analysis by the VLM on the edge', () => {
  it('a flagged frame: the model sees it masked, and the findings are stored with their event', async () => {
    const { db, engine, findings, procedureId, events, settled } = setup(() => VALID);
    let masks = 0;
    const mask = () => {
      masks++;
      return MASK;
    };
    const f = frame(1000);
    findings.offer(f, analysis(f, { flagged: true }), mask);
    await settled(1);
    // The image the model got: packed (no row padding), the text box black, the rest as captured.
    const image = engine.requests[0]!.messages[1]!.image!;
    expect({ width: image.width, height: image.height, length: image.rgb.length }).toEqual({
      width: 3,
      height: 2,
      length: 18,
    });
    expect([...image.rgb.subarray(0, 6)]).toEqual([0, 0, 0, 200, 200, 200]);
    expect(engine.requests[0]!.messages[1]!.content).toMatch(/flagged/);
    // Frames it does not take are neither masked nor copied (the live path pays nothing for them).
    for (let ms = 1200; ms < 3000; ms += 200) findings.offer(frame(ms), analysis(frame(ms)), mask);
    expect(masks).toBe(1);

    const [event] = events();
    expect(event).toMatchObject({
      type: 'frame.findings',
      procedureId,
      body: {
        trigger: 'flagged',
        outcome: 'parsed',
        modelId: 'tiny-gemma3',
        attempts: 1,
        reason: null,
        ptsMs: 1000,
      },
    });
    expect(event!.type === 'frame.findings' && event!.body.findings).toMatchObject({
      findingType: 'polyp',
      sizeMm: 6,
    });
    const row = db.prepare('SELECT * FROM frame_findings').get() as Record<string, unknown>;
    expect(row).toMatchObject({
      procedure_id: procedureId,
      outcome: 'parsed',
      trigger: 'flagged',
      attempts: 1,
    });
    expect(JSON.parse(String(row.findings))).toMatchObject({ paris: '0-Is', nice: 1 });
    expect(findings.status()).toMatchObject({
      state: 'ready',
      model: 'tiny-gemma3',
      notice: FINDINGS_NOTICE,
      counts: { parsed: 1, repaired: 0, unparseable: 0, 'engine-error': 0 },
      parseRate: 1,
      latest: { outcome: 'parsed', trigger: 'flagged' },
    });
    // The chat's latest frame analyses are the model's readings once there are any.
    const facts = await edgeProcedureFacts(db)(procedureId);
    expect(facts!.analyses.map((a) => a.text)).toEqual([
      'model: sessile polyp (polyp); location sigmoid; about 6 mm; Paris 0-Is; NICE 1; bowel preparation 3/3; image usable; white-light',
    ]);
  });

  it('records the failure reason, counts repairs, and gives the parse rate', async () => {
    // Routine frames: the first is never parseable, the second is fixed by the repair.
    let routine = 0;
    const { db, findings, events, settled } = setup((req) => {
      if (!isRepair(req)) routine++;
      if (routine === 1) return 'I think this is a polyp, probably.';
      return isRepair(req) ? VALID : '{"finding": "polyp"';
    }, 5000);
    findings.offer(frame(0), analysis(frame(0)), () => MASK);
    await settled(1);
    findings.offer(frame(5000), analysis(frame(5000)), () => MASK);
    await settled(2);
    const bodies = events().map((e) => (e.type === 'frame.findings' ? e.body : null));
    expect(bodies[0]).toMatchObject({
      trigger: 'interval',
      outcome: 'unparseable',
      attempts: 2,
      findings: null,
    });
    expect(bodies[0]!.reason).toMatch(/no valid JSON after one repair/);
    expect(bodies[1]).toMatchObject({ outcome: 'repaired', attempts: 2, reason: null });
    const reason = db.prepare("SELECT reason FROM frame_findings WHERE outcome = 'unparseable'").get() as {
      reason: string;
    };
    expect(reason.reason).toBe(bodies[0]!.reason);
    expect(findings.status()).toMatchObject({
      counts: { parsed: 0, repaired: 1, unparseable: 1 },
      parseRate: 0.5,
      firstTryRate: 0,
    });
  });

  it('the screen asks for the latest in-body frame; no frame, no procedure or no model says why', async () => {
    const { findings, events, settled, endProcedure } = setup(() => VALID, 0);
    expect(findings.request()).toMatchObject({ ok: false, status: 409 });
    const out = frame(400);
    findings.offer(out, analysis(out, { inBody: false }), () => MASK);
    expect(findings.request()).toMatchObject({ ok: false, status: 409 });
    const inside = frame(600);
    findings.offer(inside, analysis(inside), () => MASK); // interval 0: not taken on its own
    expect(findings.request()).toEqual({ ok: true, ptsMs: 600 });
    await settled(1);
    expect(events()[0]).toMatchObject({ body: { trigger: 'request', ptsMs: 600, outcome: 'parsed' } });
    endProcedure();
    expect(findings.request()).toMatchObject({ ok: false, status: 409 });

    // An engine that is off takes no frame; once it is back (a server that came up), it does.
    const reason = 'no model in models/medgemma-4b-it';
    const off = setup(() => VALID, 1000, reason);
    off.findings.offer(inside, analysis(inside, { flagged: true }), () => MASK);
    expect(off.findings.request()).toEqual({
      ok: false,
      status: 503,
      error: `no vision-language model: ${reason}`,
    });
    expect(off.findings.status()).toMatchObject({ state: 'off', reason, parseRate: null });
    expect(off.engine.requests).toHaveLength(0);
    off.engine.setOff(null);
    off.findings.offer(inside, analysis(inside, { flagged: true }), () => MASK);
    await off.settled(1);
    expect(off.events()[0]).toMatchObject({ body: { trigger: 'flagged', outcome: 'parsed' } });
  });
});

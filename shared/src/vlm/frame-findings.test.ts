import { describe, expect, test } from 'vitest';
import { ScriptedVlmEngine } from '../testing/scripted-vlm.js';
import {
  FRAME_FINDINGS_SYSTEM,
  FrameFindingsAnalyzer,
  ParseRateCounter,
  parseFindings,
} from './frame-findings.js';

const VALID_FINDINGS = {
  finding: 'small sessile polyp',
  findingType: 'polyp',
  location: 'sigmoid',
  sizeMm: 4,
  paris: '0-Is',
  nice: 2,
  bowelPrep: 3,
  imageQuality: { usable: true, remarks: ['slight blur'] },
  scene: {
    light: 'narrow-band',
    dye: false,
    instrument: 'none',
    flushing: false,
    occluded: false,
    outsidePatient: false,
  },
};
const frame = { width: 4, height: 4, rgb: new Uint8Array(48) };
const lastUser = (req: { messages: readonly { role: string; content: string }[] }) =>
  req.messages.filter((m) => m.role === 'user').at(-1)!.content;

describe('frame findings by the VLM', () => {
  test('a valid answer parses at the first try, fences and prose around it tolerated', async () => {
    const engine = new ScriptedVlmEngine(
      () => `Here it is:\n\`\`\`json\n${JSON.stringify(VALID_FINDINGS)}\n\`\`\``,
    );
    const analyzer = new FrameFindingsAnalyzer(engine);
    const r = await analyzer.analyse(frame, 'the polyp detector flagged this frame');
    expect(r.ok && r.outcome).toBe('parsed');
    expect(r.ok && r.findings).toMatchObject({ paris: '0-Is', nice: 2, scene: { light: 'narrow-band' } });
    const req = engine.requests[0]!;
    expect(req.messages[0]).toEqual({ role: 'system', content: FRAME_FINDINGS_SYSTEM });
    expect(req.messages[1]!.image).toBe(frame);
    expect(req.messages[1]!.content).toContain('polyp detector flagged');
    expect(analyzer.counter.parseRate).toBe(1);
  });

  test('a broken answer is repaired once with the error in the second prompt', async () => {
    const broken = { ...VALID_FINDINGS, paris: '0-IIx', nice: 5 };
    const engine = new ScriptedVlmEngine((req) =>
      req.messages.length === 2 ? JSON.stringify(broken) : JSON.stringify(VALID_FINDINGS),
    );
    const r = await new FrameFindingsAnalyzer(engine).analyse(frame);
    expect(r.ok && r.outcome).toBe('repaired');
    expect(engine.requests).toHaveLength(2);
    const repair = engine.requests[1]!;
    expect(repair.messages.at(-2)).toEqual({ role: 'assistant', content: JSON.stringify(broken) });
    expect(lastUser(repair)).toMatch(/paris/);
    expect(lastUser(repair)).toMatch(/nice/);
    expect(repair.messages[1]!.image).toBe(frame); // the frame is still in the conversation
  });

  test('an unrepairable answer is a failure with its reason; the parse rate counts it', async () => {
    const counter = new ParseRateCounter();
    const prose = new ScriptedVlmEngine(() => 'I think this is a polyp.');
    const r = await new FrameFindingsAnalyzer(prose, { counter }).analyse(frame);
    expect(r).toMatchObject({
      ok: false,
      outcome: 'unparseable',
      reason: expect.stringMatching(/no JSON object/),
    });
    expect(r.answers).toHaveLength(2);
    const truncated = new ScriptedVlmEngine(() => '{"finding": "polyp", "findingType": ');
    const t = await new FrameFindingsAnalyzer(truncated, { counter }).analyse(frame);
    expect(t.ok).toBe(false);
    const good = new ScriptedVlmEngine(() => JSON.stringify(VALID_FINDINGS));
    await new FrameFindingsAnalyzer(good, { counter }).analyse(frame);
    expect(counter.counts).toEqual({ parsed: 1, repaired: 0, unparseable: 2, 'engine-error': 0 });
    expect(counter.parseRate).toBeCloseTo(1 / 3);
  });

  test('an engine that is off or times out is an engine error, not a parse failure', async () => {
    const counter = new ParseRateCounter();
    const off = new ScriptedVlmEngine(() => '{}', { offReason: 'no model' });
    const r = await new FrameFindingsAnalyzer(off, { counter }).analyse(frame);
    expect(r).toMatchObject({ ok: false, outcome: 'engine-error', reason: 'VlmUnavailableError: no model' });
    const slow = new ScriptedVlmEngine(() => 'x '.repeat(100), { tokenDelayMs: 10 });
    const t = await new FrameFindingsAnalyzer(slow, { counter, timeoutMs: 50 }).analyse(frame);
    expect(t).toMatchObject({
      ok: false,
      outcome: 'engine-error',
      reason: expect.stringMatching(/^VlmTimeoutError/),
    });
    expect(counter.parseRate).toBeNull();
  });

  test('parseFindings fills optional fields and rejects wrong types', () => {
    const minimal = {
      findingType: 'none',
      imageQuality: { usable: false },
      scene: {
        light: 'white-light',
        dye: false,
        instrument: 'snare',
        flushing: true,
        occluded: true,
        outsidePatient: false,
      },
    };
    const r = parseFindings(JSON.stringify(minimal));
    expect(r.ok && r.findings).toMatchObject({
      finding: null,
      location: 'unknown',
      sizeMm: null,
      imageQuality: { remarks: [] },
    });
    const bad = parseFindings(JSON.stringify({ ...minimal, scene: { ...minimal.scene, dye: 'yes' } }));
    expect(!bad.ok && bad.error).toMatch(/scene\.dye/);
  });
});

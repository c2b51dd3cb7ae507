import { describe, expect, it } from 'vitest';
import { procedureRecord } from '../testing/procedure-record.js';
import { factsFromFrames } from './procedure-facts.js';
import { answerFromTimeline } from './temporal-answers.js';

const min = (m: number, s = 0) => (m * 60 + s) * 1000;
// 09:55:00 UTC to 10:15:00, a polyp at 2:30, no cecum, still going.
const facts = factsFromFrames(
  procedureRecord({
    procedureId: '00000000-0000-4000-8000-00000000000a',
    startedAtMs: Date.parse('2026-12-02T09:55:00Z'),
    durationMs: min(20),
    fps: 1,
    polyps: [{ atMs: min(2, 30), forMs: 3000, score: 0.7 }],
    outsideMs: 30_000,
  }),
);
const ask = (question: string, nowMs = facts.durationMs, f = facts) =>
  answerFromTimeline({ question, facts: f, nowMs, timeZone: 'UTC' });

describe('answerFromTimeline', () => {
  it('reads times said in words, minutes, clock times and times into the procedure', () => {
    expect(ask('what was there two minutes and 30 seconds ago?', min(5))!.text).toMatch(
      /^At 2:30 into the procedure \(09:57:30\).*detector marked a polyp/,
    );
    expect(ask('what happened at minute 12?')!.text).toMatch(/^At 12:00 into the procedure \(10:07:00\)/);
    expect(ask('anything around 10:05?')!.text).toMatch(/^At 10:00 into the procedure \(10:05:00\)/);
    // "into" always means time into the procedure, even when that is a clock time it ran at too.
    expect(ask('what was at 10:05 into it?')!.text).toMatch(/^At 10:05 into the procedure \(10:05:05\)/);
    expect(ask('and at 45:00?')!.text).toBe(
      '45:00 is outside this procedure, which runs from 0:00 to 20:00.',
    );
    expect(ask('what did we see 30 seconds ago?', min(0, 10))!.text).toMatch(/outside this procedure/);
    // The scope was still outside at the start.
    expect(ask('what was at minute 0?')!.text).toMatch(/the scope was outside the body/);
    // Without the procedure's clock, a time is time into it.
    const noClock = { ...facts, startMs: null };
    expect(ask('at 12:30?', facts.durationMs, noClock)!.text).toBe(
      "At 12:30 into the procedure, the scope was in the body, the picture's quality was good (0.80 of 1), and the detector flagged nothing there.",
    );
  });

  it('answers the length, a withdrawal with no cecum, and leaves other questions to the model', () => {
    expect(ask('How long has the procedure been going?')!.text).toMatch(
      /^The procedure has lasted so far 20 min 0 s of analysed video .* in the body in 95% of the analysed frames\.$/,
    );
    expect(ask('how long was the withdrawal?')!.text).toMatch(/^The cecum has not been marked/);
    expect(ask('when was the cecum reached?')!.text).toBe('The cecum has not been marked in this procedure.');
    expect(ask('Is this polyp an adenoma?')).toBeUndefined();
    expect(ask('Explain the Paris classification')).toBeUndefined();
  });

  it('gives the latest frames as analyses for the record', () => {
    expect(facts.analyses).toHaveLength(5);
    expect(facts.analyses.at(-1)).toEqual({
      tMs: min(19, 59),
      text: 'outside the body; quality 0.80; detector: nothing',
    });
  });
});

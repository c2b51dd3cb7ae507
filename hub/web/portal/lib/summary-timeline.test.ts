import { describe, expect, it } from 'vitest';
import { timelineFromSummary } from './summary-timeline.js';

describe('a timeline from the processing summary (an uploaded video)', () => {
  it('takes findings, quality and phases, with the withdrawal from the cecum on', () => {
    const t = timelineFromSummary({
      findings: [{ tMs: 42_000, kind: 'polyp', score: 0.7 }],
      quality: [
        { tMs: 0, score: 0.2 },
        { tMs: 1000, score: 0.9 },
      ],
      withdrawalMs: 30_000,
      phases: [
        { name: 'out-of-body', startMs: 0, endMs: 5000 },
        { name: 'insertion', startMs: 5000, endMs: 40_000 },
        { name: 'withdrawal', startMs: 40_000, endMs: 70_000 },
      ],
      notes: { text: 'n', source: 'data' },
    });
    expect(t.durationMs).toBe(70_000);
    expect(t.findings).toEqual([
      { tMs: 42_000, startMs: 42_000, endMs: 42_000, label: 'polyp', score: 0.7, modelId: 'batch' },
    ]);
    expect(t.withdrawal).toEqual({ startMs: 40_000, endMs: 70_000 });
    expect(t.landmarks).toEqual([{ tMs: 40_000, name: 'cecum' }]);
    expect(t.inBody).toEqual([
      { startMs: 5000, endMs: 40_000 },
      { startMs: 40_000, endMs: 70_000 },
    ]);
    expect(t.quality).toHaveLength(2);
  });
});

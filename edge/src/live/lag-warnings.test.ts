import { describe, expect, it } from 'vitest';
import { LAG_WARNING_INTERVAL_MS, LagWarnings } from './lag-warnings.js';

function setup() {
  const warnings: { fields: Record<string, unknown>; msg: string }[] = [];
  let now = 0;
  const lag = new LagWarnings(
    { warn: (fields: Record<string, unknown>, msg: string) => warnings.push({ fields, msg }) } as never,
    500,
    () => now,
  );
  return { warnings, lag, advance: (ms: number) => (now += ms) };
}

describe('LagWarnings', () => {
  it('warns at once, with the lag, the allowance and what to do', () => {
    const { warnings, lag } = setup();
    lag.failedClosed(712.4);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.fields).toEqual({ frames: 1, worstLagMs: 712, allowedLagMs: 500 });
    expect(warnings[0]!.msg).toContain('712 ms behind the video, more than the 500 ms');
    expect(warnings[0]!.msg).toContain('masked whole');
    expect(warnings[0]!.msg).toContain('GIC_REPLAY_REALTIME=false');
  });

  it('then at most once a minute, counting the frames and the worst lag since the last warning', () => {
    const { warnings, lag, advance } = setup();
    lag.failedClosed(600);
    for (let i = 0; i < 30; i++) {
      advance(1000);
      lag.failedClosed(i === 10 ? 1900 : 700);
    }
    expect(warnings).toHaveLength(1);
    advance(LAG_WARNING_INTERVAL_MS - 30_000 - 1);
    lag.failedClosed(800);
    expect(warnings).toHaveLength(1);
    advance(1);
    lag.failedClosed(650);
    expect(warnings).toHaveLength(2);
    expect(warnings[1]!.fields).toEqual({ frames: 32, worstLagMs: 1900, allowedLagMs: 500, sinceS: 60 });
  });
});

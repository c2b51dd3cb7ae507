import { describe, expect, test } from 'vitest';
import { ScriptedVlmEngine } from '../testing/scripted-vlm.js';
import { FrameFindingsAnalyzer } from './frame-findings.js';
import {
  FrameFindingsScheduler,
  type OfferedFrame,
  type ScheduledFindings,
} from './frame-findings-scheduler.js';

const FINDINGS = JSON.stringify({
  finding: null,
  findingType: 'none',
  imageQuality: { usable: true },
  scene: {
    light: 'white-light',
    dye: false,
    instrument: 'none',
    flushing: false,
    occluded: false,
    outsidePatient: false,
  },
});

function setup(tokenDelayMs = 0, intervalMs = 5000) {
  const engine = new ScriptedVlmEngine(() => FINDINGS, { tokenDelayMs });
  const results: ScheduledFindings[] = [];
  const scheduler = new FrameFindingsScheduler(new FrameFindingsAnalyzer(engine), {
    intervalMs,
    flaggedCooldownMs: 10_000,
    onResult: (r) => results.push(r),
  });
  return { engine, results, scheduler };
}

const frame = (streamMs: number, extra: Partial<Omit<OfferedFrame, 'image'>> = {}) =>
  ({
    image: { width: 2, height: 2, rgb: new Uint8Array(12).fill(streamMs % 251) },
    streamMs,
    at: new Date(1_800_000_000_000 + streamMs).toISOString(),
    inBody: true,
    flagged: false,
    ...extra,
  }) satisfies OfferedFrame;

const idle = async (s: FrameFindingsScheduler) => {
  await expect.poll(() => s.busy, { timeout: 5000, interval: 5 }).toBe(false);
};

describe('frame analysis scheduling', () => {
  test('every interval of stream time in the body, never out of it; results keep the frame time', async () => {
    const { results, scheduler } = setup();
    const taken: (string | null)[] = [];
    for (let ms = 0; ms <= 12_000; ms += 1000) {
      taken.push(scheduler.offer(frame(ms, { inBody: ms < 11_000 })));
      await idle(scheduler);
    }
    expect(results.map((r) => r.streamMs)).toEqual([0, 5000, 10_000]);
    expect(results.every((r) => r.trigger === 'interval' && r.result.ok)).toBe(true);
    expect(results[1]!.at).toBe(new Date(1_800_000_005_000).toISOString());
    expect(taken.filter(Boolean)).toHaveLength(3);
  });

  test('a flagged frame goes at once, then waits out its cooldown', async () => {
    const { results, scheduler, engine } = setup(0, 0);
    expect(scheduler.offer(frame(100, { flagged: true }))).toBe('flagged');
    await idle(scheduler);
    expect(scheduler.offer(frame(5000, { flagged: true }))).toBeNull();
    expect(scheduler.offer(frame(10_100, { flagged: true }))).toBe('flagged');
    await idle(scheduler);
    expect(results.map((r) => [r.trigger, r.streamMs])).toEqual([
      ['flagged', 100],
      ['flagged', 10_100],
    ]);
    expect(engine.requests[0]!.messages[1]!.content).toContain('polyp detector flagged');
  });

  test('a busy model skips frames instead of queuing them: only the most important one waits', async () => {
    const { results, scheduler } = setup(5, 1000);
    expect(scheduler.offer(frame(0))).toBe('interval'); // runs (slowly)
    const t0 = performance.now();
    expect(scheduler.offer(frame(1000))).toBe('interval'); // pending
    expect(scheduler.offer(frame(1500, { flagged: true }))).toBe('flagged'); // replaces it
    expect(scheduler.offer(frame(2500))).toBeNull(); // does not replace a flagged frame
    expect(performance.now() - t0).toBeLessThan(20); // offering never waits on the model
    const asked = scheduler.request({ image: frame(2600).image, streamMs: 2600, at: frame(2600).at });
    const answer = await asked;
    expect(answer).toMatchObject({ trigger: 'request', streamMs: 2600 });
    await idle(scheduler);
    expect(results.map((r) => [r.trigger, r.streamMs])).toEqual([
      ['interval', 0],
      ['request', 2600],
    ]);
    expect(scheduler.skipped).toBe(3);
  });

  test('the frame is copied when taken: the live buffer may be reused', async () => {
    const { engine, scheduler } = setup(0, 1000);
    scheduler.offer(frame(0));
    await idle(scheduler);
    const g = frame(1000);
    scheduler.offer(g);
    g.image.rgb.fill(99);
    await idle(scheduler);
    expect(engine.requests[1]!.messages[1]!.image!.rgb[0]).toBe(1000 % 251); // as offered, not 99;
  });

  test('a frame given as a function is made only when taken, and not copied again', async () => {
    const { engine, scheduler } = setup(0, 1000);
    let made = 0;
    const image = { width: 2, height: 2, rgb: new Uint8Array(12).fill(7) };
    const lazy = () => {
      made++;
      return image;
    };
    for (let ms = 0; ms < 1000; ms += 100) scheduler.offer({ ...frame(ms), image: lazy });
    await idle(scheduler);
    expect(made).toBe(1);
    expect(engine.requests[0]!.messages[1]!.image!.rgb).toBe(image.rgb);
  });
});

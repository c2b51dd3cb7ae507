import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import type { RgbFrame } from '../media/frame.js';
import { sampleClipFrames } from '../testing/sample-frames.js';
import { loadFrameAnalyzer } from './load-analyzer.js';
import { ThreadedAnalyzer } from './threaded-analyzer.js';

const models = join(import.meta.dirname, '..', '..', '..', 'models');
const ids = ['pp-ocrv4-det', 'pp-ocrv4-rec', 'blazeface-front', 'no-such-model'];
const log = createLogger('threaded-analyzer-test', 'silent');

describe('ThreadedAnalyzer (the real models on a thread of their own)', () => {
  let threaded: ThreadedAnalyzer;
  let frames: RgbFrame[];

  beforeAll(async () => {
    [threaded, frames] = await Promise.all([
      ThreadedAnalyzer.start(models, ids, log),
      sampleClipFrames(2, { width: 1280, height: 720 }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await threaded?.close();
  });

  it('reports the models loaded and off, as the analyzer in this thread does', () => {
    expect(threaded.models.map((m) => m.id)).toEqual(['pp-ocrv4-det', 'pp-ocrv4-rec', 'blazeface-front']);
    expect(threaded.modelsOff).toHaveLength(1);
    expect(threaded.modelsOff[0]!.id).toBe('no-such-model');
  });

  it('gives the same analyses as the analyzer in this thread, light and full scans alike', async () => {
    const { analyzer: local } = await loadFrameAnalyzer(models, ids, log);
    try {
      const scans = ['full', 'light'] as const;
      const [there, here] = [
        await threaded.analyseBatch(frames, scans),
        await local.analyseBatch(frames, scans),
      ];
      const strip = (a: (typeof here)[number]) => ({ ...a, latencyMs: 0 });
      expect(there.map(strip)).toEqual(here.map(strip));
      expect(there.map((a) => a.scan)).toEqual(['full', 'light']);
      // Timed (bench:edge), the analyses are the same, and the time is told stage by stage.
      const times: Record<string, number> = {};
      const timed = await threaded.analyseBatch(frames, scans, times);
      expect(timed.map(strip)).toEqual(here.map(strip));
      const onThread = [
        'picture',
        'text-full.tensor',
        'text-full.inference',
        'text-full.boxes',
        'text-light.tensor',
        'text-light.inference',
        'text-light.boxes',
        'faces',
        'text-lines',
        'result',
      ];
      expect(Object.keys(times).sort()).toEqual([...onThread, 'copy', 'hand-over', 'thread'].sort());
      for (const ms of Object.values(times)) expect(ms).toBeGreaterThanOrEqual(0);
      // A full scan of 1280x720 is heavier than a light one at 512 px, and the stages add up to the thread's time.
      expect(times['text-full.inference']!).toBeGreaterThan(times['text-light.inference']!);
      const staged = onThread.reduce((sum, stage) => sum + times[stage]!, 0);
      expect(staged).toBeLessThanOrEqual(times.thread! + 0.01);
      expect(staged).toBeGreaterThan(0.8 * times.thread!);
      // The sample's identity band is found: the comparison is not of empty results.
      expect(there[0]!.privacyRegions.length).toBeGreaterThanOrEqual(1);
    } finally {
      await local.close();
    }
  }, 60_000);

  it('analyses frames lent to it as it analyses copies, and hands the same memory back', async () => {
    const scans = ['none', 'full'] as const;
    const copied = await threaded.analyseBatch(frames, scans);
    // One frame in a buffer of its own (handed over), one a view into a larger buffer (copied).
    const own = { ...frames[0]!, data: Uint8Array.from(frames[0]!.data) };
    const wide = new Uint8Array(frames[1]!.data.length + 16);
    wide.set(frames[1]!.data, 16);
    const view = { ...frames[1]!, data: wide.subarray(16) };
    const memory = own.data.buffer;
    const { analyses, frames: back } = await threaded.analyseLent([own, view], scans);
    const strip = (a: (typeof copied)[number]) => ({ ...a, latencyMs: 0 });
    expect(analyses.map(strip)).toEqual(copied.map(strip));
    // The frame handed over was empty while away; the same pixels come back, in the same memory
    // (a transferred buffer keeps its backing store: same size, and the given one stays detached).
    expect(own.data.byteLength).toBe(0);
    expect(Buffer.from(back[0]!.data).equals(Buffer.from(frames[0]!.data))).toBe(true);
    expect(back[0]!.data.buffer.byteLength).toBe(frames[0]!.data.length);
    expect(memory.byteLength).toBe(0);
    // The view was copied: the caller's larger buffer is untouched, the copy comes back.
    expect(wide.byteLength).toBe(frames[1]!.data.length + 16);
    expect(Buffer.from(back[1]!.data).equals(Buffer.from(frames[1]!.data))).toBe(true);
    expect(back.map((f) => [f.index, f.ptsMs, f.width, f.height])).toEqual(
      frames.map((f) => [f.index, f.ptsMs, f.width, f.height]),
    );
  }, 60_000);

  it('searches no text on a frame asked for no scan (a recording already de-identified), and the rest as asked', async () => {
    const [none, full] = await threaded.analyseBatch([frames[0]!, frames[0]!], ['none', 'full']);
    expect(full!.privacyRegions.filter((r) => r.kind === 'text').length).toBeGreaterThanOrEqual(1);
    expect(none!.scan).toBe('none');
    expect(none!.privacyRegions.filter((r) => r.kind === 'text')).toEqual([]);
    // The rest of the analysis is the same.
    expect(none!.quality).toEqual(full!.quality);
    expect(none!.fieldOfView).toEqual(full!.fieldOfView);
  }, 60_000);

  it('keeps this thread free while it analyses: timers run during a full scan', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = performance.now();
    await threaded.analyseBatch([frames[0]!, frames[1]!], ['full', 'full']);
    const ms = performance.now() - started;
    clearInterval(timer);
    // With inference on this thread no timer could fire until it ended; here they keep firing.
    expect(ticks).toBeGreaterThanOrEqual(Math.min(10, Math.floor(ms / 20)));
  }, 60_000);

  it('refuses a frame whose buffer cannot hold its picture with the analyzer’s own error, and goes on', async () => {
    const bad: RgbFrame = { ...frames[0]!, data: new Uint8Array(10) };
    await expect(threaded.analyse(bad)).rejects.toMatchObject({ name: 'RangeError' });
    expect((await threaded.analyse(frames[0]!)).width).toBe(1280);
  }, 60_000);

  it('refuses work once closed', async () => {
    const other = await ThreadedAnalyzer.start(models, ['blazeface-front'], log, {}, 10);
    expect((await other.analyse(frames[0]!)).models.map((m) => m.id)).toEqual(['blazeface-front']);
    await other.close();
    await expect(other.analyse(frames[0]!)).rejects.toThrow(/closed/);
  }, 60_000);
});

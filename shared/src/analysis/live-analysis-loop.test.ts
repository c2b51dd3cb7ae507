import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import type { RgbFrame } from '../media/frame.js';
import type { FrameAnalysis } from '../messages/events.js';
import { sampleClipFrames } from '../testing/sample-frames.js';
import { type DropReason, LiveAnalysisLoop } from './live-analysis-loop.js';
import { loadFrameAnalyzer } from './load-analyzer.js';

/** A frame with no pixels: the fake analysis below only reads its index. */
const frame = (index: number, ptsMs = index * 100): RgbFrame => ({
  data: new Uint8Array(0),
  width: 1,
  height: 1,
  stride: 4,
  index,
  ptsMs,
});

/** Lets the loop's pending promise callbacks run. */
const settle = () => new Promise((r) => setImmediate(r));

/**
 * A fake analysis whose batches finish only when the test says (`finish()`), answering `a<index>`,
 * and a loop around it that records what it reports.
 */
function harness(maxBatch: number, maxLagMs: number, fail?: (frames: RgbFrame[]) => boolean) {
  const batches: number[][] = [];
  const pending: (() => void)[] = [];
  const results: [number, string][] = [];
  const drops: [number[], DropReason][] = [];
  const errors: [string, number[]][] = [];
  const loop = new LiveAnalysisLoop<string>({
    maxBatch,
    maxLagMs,
    analyse: (frames) => {
      batches.push(frames.map((f) => f.index));
      return new Promise((resolve, reject) => {
        pending.push(() =>
          fail?.(frames) ? reject(new Error('corrupt frame')) : resolve(frames.map((f) => `a${f.index}`)),
        );
      });
    },
    onResult: (f, r) => results.push([f.index, r]),
    onDrop: (frames, reason) => drops.push([frames.map((f) => f.index), reason]),
    onError: (e, frames) => errors.push([(e as Error).message, frames.map((f) => f.index)]),
  });
  /** Finishes the oldest running batch and lets the loop take the next. */
  const finish = async () => {
    await settle();
    pending.shift()?.();
    await settle();
  };
  return { loop, batches, results, drops, errors, finish };
}

describe('LiveAnalysisLoop', () => {
  it('never runs analysis inside push, and batches the frames that wait while one batch runs', async () => {
    const h = harness(4, 10_000);
    h.loop.push(frame(0));
    expect(h.batches).toEqual([]);
    await settle();
    expect(h.batches).toEqual([[0]]);
    for (const i of [1, 2, 3]) h.loop.push(frame(i));
    expect(h.batches).toEqual([[0]]); // the first batch still runs
    await h.finish();
    expect(h.batches).toEqual([[0], [1, 2, 3]]);
    await h.finish();
    expect(h.results).toEqual([
      [0, 'a0'],
      [1, 'a1'],
      [2, 'a2'],
      [3, 'a3'],
    ]);
    expect(h.loop.stats).toMatchObject({ analysed: 4, dropped: 0, batches: 2, meanBatchSize: 2, waiting: 0 });
  });

  it('keeps only the newest maxBatch waiting frames, dropping older ones as overflow', async () => {
    const h = harness(2, 10_000);
    h.loop.push(frame(0));
    await settle();
    for (const i of [1, 2, 3, 4]) h.loop.push(frame(i));
    expect(h.drops).toEqual([
      [[1], 'overflow'],
      [[2], 'overflow'],
    ]);
    await h.finish();
    await h.finish();
    expect(h.batches).toEqual([[0], [3, 4]]);
    expect(h.results.map(([i]) => i)).toEqual([0, 3, 4]);
    expect(h.loop.stats).toMatchObject({ analysed: 3, dropped: 2, droppedOverflow: 2, droppedStale: 0 });
  });

  it('drops waiting frames more than maxLagMs of stream time behind the newest', async () => {
    const h = harness(10, 450);
    h.loop.push(frame(0)); // pts 0, analysed at once
    await settle();
    for (let i = 1; i <= 8; i++) h.loop.push(frame(i)); // pts 100..800 while the first batch runs
    // At pts 600 the frame at 100 is 500 ms behind; at 700 the one at 200, at 800 the one at 300.
    expect(h.drops).toEqual([
      [[1], 'stale'],
      [[2], 'stale'],
      [[3], 'stale'],
    ]);
    await h.finish();
    expect(h.batches[1]).toEqual([4, 5, 6, 7, 8]);
    await h.finish();
    expect(h.loop.stats).toMatchObject({ analysed: 6, droppedStale: 3 });
  });

  it('reports a failed batch and carries on with the next frames', async () => {
    const h = harness(4, 10_000, (frames) => frames.some((f) => f.index === 1));
    h.loop.push(frame(0));
    await settle();
    h.loop.push(frame(1));
    h.loop.push(frame(2));
    await h.finish();
    await h.finish(); // the batch with frame 1 fails
    h.loop.push(frame(3));
    await h.finish();
    expect(h.errors).toEqual([['corrupt frame', [1, 2]]]);
    expect(h.results.map(([i]) => i)).toEqual([0, 3]);
    expect(h.loop.stats).toMatchObject({ analysed: 2, failed: 2, batches: 3 });
  });

  it('reports an answer of the wrong length, and a throwing onResult, without stopping', async () => {
    const errors: string[] = [];
    let calls = 0;
    const seen: number[] = [];
    const loop = new LiveAnalysisLoop<number>({
      maxBatch: 4,
      maxLagMs: 1000,
      analyse: async (frames) => (calls++ === 0 ? [] : frames.map((f) => f.index)),
      onResult: (f) => {
        if (f.index === 1) throw new Error('screen gone');
        seen.push(f.index);
      },
      onError: (e) => errors.push((e as Error).message),
    });
    loop.push(frame(0));
    await loop.drain();
    loop.push(frame(1));
    loop.push(frame(2));
    await loop.drain();
    expect(errors).toEqual(['analyse gave 0 results for 1 frames', 'screen gone']);
    expect(seen).toEqual([2]);
  });

  it('drain waits for the running batch and the frames behind it', async () => {
    const order: string[] = [];
    const loop = new LiveAnalysisLoop<number>({
      maxBatch: 2,
      maxLagMs: 1000,
      analyse: async (frames) => {
        await new Promise((r) => setTimeout(r, 20)); // ms: a slow model
        return frames.map((f) => f.index);
      },
      onResult: (f) => order.push(`result ${f.index}`),
      onError: () => order.push('error'),
    });
    loop.push(frame(0));
    await settle();
    loop.push(frame(1));
    loop.push(frame(2));
    await loop.drain();
    order.push('drained');
    expect(order).toEqual(['result 0', 'result 1', 'result 2', 'drained']);
    await loop.drain(); // idle: resolves at once
  });

  it('refuses options that make no sense', () => {
    const base = { analyse: async () => [], onResult: () => {}, onError: () => {} };
    expect(() => new LiveAnalysisLoop({ ...base, maxBatch: 0, maxLagMs: 100 })).toThrow(/maxBatch must be/);
    expect(() => new LiveAnalysisLoop({ ...base, maxBatch: 1.5, maxLagMs: 100 })).toThrow(RangeError);
    expect(() => new LiveAnalysisLoop({ ...base, maxBatch: 2, maxLagMs: -1 })).toThrow(/maxLagMs must be/);
  });
});

describe('LiveAnalysisLoop with the real FrameAnalyzer (PP-OCRv4 det)', () => {
  it('analyses sample frames in batches, in order, as analysing them one by one does', async () => {
    const models = join(import.meta.dirname, '..', '..', '..', 'models');
    const { analyzer, size } = await loadFrameAnalyzer(
      models,
      ['pp-ocrv4-det'],
      createLogger('test', 'silent'),
    );
    const frames = await sampleClipFrames(6, size);
    // The pixels' digests, so that a difference below says whether the frames changed under the
    // analysis (CI once saw one frame's sharpness differ by 2.5% with its brightness the same).
    const digests = () => frames.map((f) => createHash('sha256').update(f.data).digest('hex'));
    const sampled = digests();
    const delivered: [number, FrameAnalysis][] = [];
    const errors: unknown[] = [];
    const loop = new LiveAnalysisLoop({
      analyse: (batch) => analyzer.analyseBatch(batch),
      maxBatch: 3,
      maxLagMs: 10_000,
      onResult: (frame, analysis) => delivered.push([frame.index, analysis]),
      onError: (error) => errors.push(error),
    });
    for (const f of frames.slice(0, 3)) loop.push(f);
    await settle(); // the first batch is running
    for (const f of frames.slice(3)) loop.push(f);
    await loop.drain();
    expect(errors).toEqual([]);
    expect(loop.stats).toMatchObject({ analysed: 6, dropped: 0, batches: 2, meanBatchSize: 3 });
    expect(delivered.map(([i]) => i)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(digests(), 'the frames were changed while the loop analysed them').toEqual(sampled);
    for (const [i, analysis] of delivered) {
      const { latencyMs: _, ...alone } = await analyzer.analyse(frames[i]!);
      expect(digests(), `frame ${i} was changed since`).toEqual(sampled);
      expect(analysis).toMatchObject(alone);
      expect(analysis.privacyRegions.length).toBeGreaterThan(0); // the OSD text, in every frame
    }
    await analyzer.close();
  });
});

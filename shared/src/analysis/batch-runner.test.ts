import { describe, expect, it } from 'vitest';
import { type RgbFrame, rgbStride } from '../media/frame.js';
import { BatchRunner, inputBatchSupport } from './batch-runner.js';

const frames: RgbFrame[] = [0, 1, 2].map((index) => ({
  data: new Uint8Array(rgbStride(2) * 2),
  width: 2,
  height: 2,
  stride: rgbStride(2),
  index,
  ptsMs: index * 100,
}));

/** A stand-in model that answers each frame's index and records the batch sizes it was run with. */
function model(acceptsBatch: boolean, failing?: number) {
  const runs: number[] = [];
  const run = async (batch: RgbFrame[]) => {
    runs.push(batch.length);
    if (batch.length > 1 && !acceptsBatch) throw new Error('Got invalid dimensions for input: x');
    if (batch.some((f) => f.index === failing)) throw new Error(`frame ${failing} is corrupt`);
    return batch.map((f) => f.index);
  };
  return { runs, run };
}

describe('inputBatchSupport', () => {
  const session = (shape: (number | string)[] | undefined) => ({
    inputMetadata: shape ? [{ name: 'x', isTensor: true as const, type: 'float32' as const, shape }] : [],
  });

  it('reads a symbolic or negative first dimension as dynamic and a number as fixed', () => {
    expect(inputBatchSupport(session(['batch', 3, 288, 512]), 'x')).toBe('dynamic');
    expect(inputBatchSupport(session([-1, 3, 288, 512]), 'x')).toBe('dynamic');
    expect(inputBatchSupport(session([1, 128, 128, 3]), 'x')).toBe('fixed');
  });

  it('says unknown when the session has no metadata or no shape for the input', () => {
    expect(inputBatchSupport(session(undefined), 'x')).toBe('unknown');
    expect(inputBatchSupport(session([]), 'x')).toBe('unknown');
    expect(inputBatchSupport(session(['batch', 3, 8, 8]), 'other')).toBe('unknown');
    expect(inputBatchSupport({} as never, 'x')).toBe('unknown');
  });
});

describe('BatchRunner', () => {
  it('runs a dynamic model once for the batch and a fixed one once a frame', async () => {
    const dynamic = model(true);
    expect(await new BatchRunner('dynamic', dynamic.run).run(frames)).toEqual([0, 1, 2]);
    expect(dynamic.runs).toEqual([3]);
    const fixed = model(false);
    expect(await new BatchRunner('fixed', fixed.run).run(frames)).toEqual([0, 1, 2]);
    expect(fixed.runs).toEqual([1, 1, 1]);
  });

  it('when unknown, tries a batch once and remembers that it works', async () => {
    const m = model(true);
    const runner = new BatchRunner('unknown', m.run);
    await runner.run(frames);
    await runner.run(frames);
    expect(runner.support).toBe('dynamic');
    expect(m.runs).toEqual([3, 3]);
  });

  it('when unknown, falls back to one frame at a time once and remembers it', async () => {
    const m = model(false);
    const runner = new BatchRunner('unknown', m.run);
    expect(await runner.run(frames)).toEqual([0, 1, 2]);
    expect(await runner.run(frames)).toEqual([0, 1, 2]);
    expect(runner.support).toBe('fixed');
    expect(m.runs).toEqual([3, 1, 1, 1, 1, 1, 1]);
  });

  it('does not blame the batch for a frame that fails alone, and passes its error on', async () => {
    const m = model(false, 0);
    const runner = new BatchRunner('unknown', m.run);
    await expect(runner.run(frames)).rejects.toThrow(/frame 0 is corrupt/);
    expect(runner.support).toBe('unknown');
  });

  it('refuses a model answer with the wrong number of results', async () => {
    const runner = new BatchRunner('dynamic', async () => [1]);
    await expect(runner.run(frames)).rejects.toThrow(/1 results for a batch of 3 frames/);
  });
});

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decoderThreadOptions, readFileFrames } from './file-frames.js';
import { runToEos } from './gst.js';

describe('readFileFrames', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-file-frames-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('decodes the very same frames with one decoder thread as with libav’s own threading', async () => {
    const clip = join(dir, 'clip.mp4');
    await runToEos(
      `videotestsrc pattern=ball num-buffers=60 ! video/x-raw,width=320,height=240,framerate=30/1 ! x264enc key-int-max=15 ! mp4mux ! filesink location=${clip}`,
    );
    const digests = async (decoderThreads?: number) => {
      const out: string[] = [];
      for await (const frame of readFileFrames(clip, { width: 160, height: 120, fps: 10, decoderThreads }))
        out.push(`${frame.index}@${frame.ptsMs}:${createHash('sha256').update(frame.data).digest('hex')}`);
      return out;
    };
    const auto = await digests();
    expect(auto).toHaveLength(20);
    expect(await digests(1)).toEqual(auto);
    expect(await digests(3)).toEqual(auto);
  });

  it('yields the same frames in one reused buffer as in a new buffer each', async () => {
    const clip = join(dir, 'reuse.mp4');
    await runToEos(
      `videotestsrc pattern=ball num-buffers=30 ! video/x-raw,width=320,height=240,framerate=30/1 ! x264enc ! mp4mux ! filesink location=${clip}`,
    );
    const read = async (reuseBuffer: boolean) => {
      const digests: string[] = [];
      const buffers = new Set<ArrayBufferLike>();
      for await (const frame of readFileFrames(clip, { width: 162, height: 120, fps: 10, reuseBuffer })) {
        // The pixels row by row: the bytes that pad a row to 4 are GStreamer's leftovers, in either case.
        const hash = createHash('sha256');
        for (let y = 0; y < frame.height; y++)
          hash.update(frame.data.subarray(y * frame.stride, y * frame.stride + frame.width * 3));
        digests.push(hash.digest('hex'));
        buffers.add(frame.data.buffer);
      }
      return { digests, buffers: buffers.size };
    };
    const fresh = await read(false);
    expect(fresh.digests).toHaveLength(10);
    expect(new Set(fresh.digests).size).toBeGreaterThan(5); // the ball moves: frames differ
    expect(fresh.buffers).toBe(10);
    // 162 px wide: RGB rows padded to 488 bytes, the reused buffer sized to match.
    const reused = await read(true);
    expect(reused.digests).toEqual(fresh.digests);
    expect(reused.buffers).toBe(1);
  });

  it('with skipNonReferenceFrames, yields a frame for each time at the rate, each the picture of its time or of a frame or two beside it', async () => {
    const clip = join(dir, 'b-frames.mp4');
    // x264's defaults (B-frames) on a moving ball: every frame differs from the one before.
    await runToEos(
      `videotestsrc pattern=ball num-buffers=90 ! video/x-raw,width=320,height=240,framerate=30/1 ! x264enc key-int-max=30 ! mp4mux ! filesink location=${clip}`,
    );
    const read = async (fps: number, skipNonReferenceFrames: boolean, gated = false) => {
      const out: { ptsMs: number; digest: string }[] = [];
      for await (const frame of readFileFrames(clip, {
        width: 160,
        height: 120,
        fps,
        skipNonReferenceFrames,
        ...(gated ? { keyFrameGate: () => false } : {}),
      }))
        out.push({ ptsMs: frame.ptsMs, digest: createHash('sha256').update(frame.data).digest('hex') });
      return out;
    };
    const every = await read(30, false);
    expect(every).toHaveLength(90);
    expect(new Set(every.map((f) => f.digest)).size).toBe(90);
    const sampled = await read(10, true);
    expect(sampled.map((f) => f.ptsMs)).toEqual(Array.from({ length: 30 }, (_, k) => k * 100));
    let shifted = 0;
    for (const [k, frame] of sampled.entries()) {
      // The picture of frame 3k (its time at 10 fps) or, where that was skipped, of the nearest decoded
      // (x264 skips no two frames in a row; two either side allowed).
      const at = every.slice(Math.max(0, 3 * k - 2), 3 * k + 3).map((f) => f.digest);
      expect(at).toContain(frame.digest);
      if (frame.digest !== every[3 * k]!.digest) shifted++;
    }
    // Frames were skipped, so some times show a picture beside theirs.
    expect(shifted).toBeGreaterThan(0);
    // Limited by their own times (a key frame gate's reader): as many frames, for the same times, each
    // the picture of its time or of a decoded frame just after it (skipped frames cost no rate).
    const limited = await read(10, true, true);
    expect(limited.map((f) => f.ptsMs)).toEqual(Array.from({ length: 30 }, (_, k) => k * 100));
    for (const [k, frame] of limited.entries())
      expect(every.slice(3 * k, 3 * k + 3).map((f) => f.digest)).toContain(frame.digest);
  });

  it('with a key frame gate, decodes key frames alone while it says so, and every frame at the rate again after', async () => {
    const clip = join(dir, 'gated.mp4');
    // A key frame a second, no B-frames, as a room's recording; the ball moves, so every frame differs.
    await runToEos(
      `videotestsrc pattern=ball num-buffers=270 ! video/x-raw,width=320,height=240,framerate=30/1 ! x264enc speed-preset=ultrafast key-int-max=30 ! mp4mux ! filesink location=${clip}`,
    );
    const read = async (gate?: (frame: number, intervalMs: number | undefined) => boolean) => {
      const out: { ptsMs: number; digest: string }[] = [];
      const intervals = new Set<number | undefined>();
      for await (const frame of readFileFrames(clip, {
        width: 160,
        height: 120,
        fps: 3,
        ...(gate
          ? {
              keyFrameGate: (ms: number | undefined) => {
                intervals.add(ms);
                return gate(out.length, ms);
              },
            }
          : {}),
      }))
        out.push({ ptsMs: frame.ptsMs, digest: createHash('sha256').update(frame.data).digest('hex') });
      return { frames: out, intervals };
    };
    const plain = await read();
    expect(plain.frames.map((f) => f.ptsMs)).toEqual(
      Array.from({ length: 27 }, (_, k) => Math.round(k * 333.33)),
    );
    const pictureAt = new Map(plain.frames.map((f) => [f.ptsMs, f.digest]));
    // Gated but never closed: the same frames, limited to 3 fps by their own times, as videorate's.
    const open = await read(() => false);
    expect(open.frames).toEqual(plain.frames);
    expect([...open.intervals].at(-1)).toBe(1000);

    // Closed throughout (once the reader knows where key frames are): key frames alone, a second apart.
    const keys = await read((_, ms) => ms !== undefined);
    const late = keys.frames.filter((f) => f.ptsMs >= 4000);
    expect(late.map((f) => f.ptsMs)).toEqual([4000, 5000, 6000, 7000, 8000]);
    expect(keys.frames.length).toBeLessThanOrEqual(plain.frames.length - 10);
    for (const f of late) expect(f.digest).toBe(pictureAt.get(f.ptsMs));

    // Closed for the first frames, then open: every frame at the rate again, with no burst in between.
    const both = await read((n) => n < 5);
    const times = both.frames.map((f) => f.ptsMs);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(316);
    expect(times.some((t, i) => i > 0 && t - times[i - 1]! === 1000)).toBe(true); // key frames alone at first
    expect(times.slice(-6)).toEqual([7000, 7333, 7667, 8000, 8333, 8667]); // then every frame at 3 fps
    for (const f of both.frames) expect(f.digest).toBe(pictureAt.get(f.ptsMs));
  });

  it('tells a key frame gate the longest time between key frames, so that a scene cut does not close it', async () => {
    const clip = join(dir, 'scene-cut.mp4');
    // A key frame every 2 s, and one more where the picture changes at 5 s: key frames at 0, 2, 4, 5,
    // 7 and 9 s (x264 counts its interval again from a scene cut).
    const caps = 'video/x-raw,width=320,height=240,framerate=30/1';
    await runToEos(
      `concat name=c ! x264enc speed-preset=ultrafast key-int-max=60 ! mp4mux ! filesink location=${clip} ` +
        `videotestsrc pattern=ball num-buffers=150 ! ${caps} ! c. videotestsrc pattern=snow num-buffers=150 ! ${caps} ! c.`,
    );
    const told: (number | undefined)[] = [];
    const times: number[] = [];
    for await (const frame of readFileFrames(clip, {
      width: 160,
      height: 120,
      fps: 3,
      // Key frames alone if they come a second apart at most: never here.
      keyFrameGate: (ms) => {
        told.push(ms);
        return ms !== undefined && ms <= 1050;
      },
    }))
      times.push(frame.ptsMs);
    expect(told).toContain(2000);
    expect(told).not.toContain(1000);
    expect(times).toEqual(Array.from({ length: 30 }, (_, k) => Math.round(k * 333.33)));
  });

  it('gives the libav decoder the threads asked for, and refuses a count that is not a whole number', () => {
    expect(decoderThreadOptions(undefined)).toEqual({});
    expect(decoderThreadOptions(0)).toEqual({});
    expect(decoderThreadOptions(1)).toEqual({ childProperties: { 'avdec_*': { 'max-threads': 1 } } });
    expect(() => decoderThreadOptions(1.5)).toThrow(RangeError);
    expect(() => decoderThreadOptions(-1)).toThrow(/whole number >= 0, got -1/);
  });
});

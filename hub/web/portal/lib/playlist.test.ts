import { describe, expect, it } from 'vitest';
import { locate, segmentStarts, timelineOffsetMs, totalMs } from './playlist.js';

describe('the playlist of a recording in segments', () => {
  const segments = [
    { url: 'a', durationMs: 60_000 },
    { url: 'b', durationMs: 60_000 },
    { url: 'c', durationMs: 12_500 },
  ];

  it('places a time in its segment, across segment boundaries and past the end', () => {
    expect(segmentStarts(segments)).toEqual([0, 60_000, 120_000]);
    expect(totalMs(segments)).toBe(132_500);
    expect(locate(segments, 0)).toEqual({ index: 0, offsetMs: 0 });
    expect(locate(segments, 59_999)).toEqual({ index: 0, offsetMs: 59_999 });
    expect(locate(segments, 60_000)).toEqual({ index: 1, offsetMs: 0 });
    expect(locate(segments, 125_000)).toEqual({ index: 2, offsetMs: 5_000 });
    expect(locate(segments, 999_999)).toEqual({ index: 2, offsetMs: 12_500 });
  });

  it('cannot place a time past a segment whose length is not known yet', () => {
    const partial = [segments[0]!, { url: 'b', durationMs: null }, segments[2]!];
    expect(segmentStarts(partial)).toEqual([0, 60_000, null]);
    expect(totalMs(partial)).toBeNull();
    expect(locate(partial, 10_000)).toEqual({ index: 0, offsetMs: 10_000 });
    expect(locate(partial, 70_000)).toBeNull();
  });

  it('aligns the timeline with the video at their ends', () => {
    expect(timelineOffsetMs(6_000, 3_200)).toBe(2_800);
    expect(timelineOffsetMs(3_000, 3_200)).toBe(0);
    expect(timelineOffsetMs(null, 3_200)).toBe(0);
  });
});

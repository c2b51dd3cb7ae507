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

  it('aligns the timeline with the video at their ends when the capture times are not known', () => {
    expect(timelineOffsetMs(6_000, 3_200)).toBe(2_800);
    expect(timelineOffsetMs(3_000, 3_200)).toBe(0);
    expect(timelineOffsetMs(null, 3_200)).toBe(0);
    // An older edge's seal (no start), or a timeline without analyses: the same.
    expect(
      timelineOffsetMs(6_000, 3_200, { videoStartedAt: null, timelineStartedAt: '2026-01-01T10:00:00Z' }),
    ).toBe(2_800);
    expect(
      timelineOffsetMs(6_000, 3_200, { videoStartedAt: '2026-01-01T10:00:00Z', timelineStartedAt: null }),
    ).toBe(2_800);
  });

  it('places the timeline exactly from the capture times of the video and of the first analysed frame', () => {
    // A live room: the recording's first frame 4.25 s before the first analysed one, and the video
    // outlasting the procedure by 1.5 s (the recorder's delay) - aligning the ends would be 1.5 s off.
    const times = {
      videoStartedAt: '2026-01-01T10:00:00.000Z',
      timelineStartedAt: '2026-01-01T10:00:04.250Z',
    };
    expect(timelineOffsetMs(60_000, 54_250, times)).toBe(4_250);
    expect(timelineOffsetMs(null, 54_250, times)).toBe(4_250); // known before the file's length is
    // The recording began after the first analysed frame (recording was off): the offset is negative.
    expect(
      timelineOffsetMs(10_000, 12_000, {
        videoStartedAt: '2026-01-01T10:00:02.000Z',
        timelineStartedAt: '2026-01-01T10:00:00.000Z',
      }),
    ).toBe(-2_000);
    // Across a segment boundary: a finding 75 s into the timeline lies 79.25 s into the video, in
    // the second of two 60 s segments.
    const offset = timelineOffsetMs(null, 120_000, times);
    expect(locate(segments, 75_000 + offset)).toEqual({ index: 1, offsetMs: 19_250 });
  });
});

/** One segment of the recording as the player knows it: its URL and, once read, its length. */
export interface PlaylistSegment {
  url: string;
  durationMs: number | null;
}

/** Where each segment starts on the video's own axis; null from the first whose length is unknown. */
export function segmentStarts(segments: PlaylistSegment[]): (number | null)[] {
  let at: number | null = 0;
  return segments.map((s) => {
    const start = at;
    at = at === null || s.durationMs === null ? null : at + s.durationMs;
    return start;
  });
}

/** The recording's whole length, or null while a segment's length is unknown. */
export function totalMs(segments: PlaylistSegment[]): number | null {
  return segments.every((s) => s.durationMs !== null)
    ? segments.reduce((sum, s) => sum + (s.durationMs ?? 0), 0)
    : null;
}

/** The segment holding video time `ms`, and the offset into it (the last segment past the end). */
export function locate(segments: PlaylistSegment[], ms: number): { index: number; offsetMs: number } | null {
  const starts = segmentStarts(segments);
  for (let i = 0; i < segments.length; i++) {
    const start = starts[i];
    const d = segments[i]!.durationMs;
    if (start === null || start === undefined || d === null) return null;
    if (ms < start + d || i === segments.length - 1)
      return { index: i, offsetMs: Math.max(0, Math.min(ms - start, d)) };
  }
  return null;
}

/**
 * Where the timeline's zero (the procedure's first analysed frame) lies in the video. The recording
 * can begin before the procedure (a segment opened before an automatic start belongs to it) and ends
 * when the procedure does, so the two are aligned at their ends: the video's surplus lies before the
 * first frame. The hub knows no segment's start time yet (the edge's seal carries none), so this is
 * the best it can say; where the video is shorter the two start together.
 */
export function timelineOffsetMs(videoMs: number | null, timelineMs: number): number {
  return videoMs === null ? 0 : Math.max(0, videoMs - timelineMs);
}

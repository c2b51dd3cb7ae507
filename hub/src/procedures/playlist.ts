/**
 * A procedure's recording as one video of segments played one after another, and how the procedure's
 * axis lies in it: shared by the review page's player (hub/web) and the hub's review chat.
 */
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

/** When the video's first frame and the timeline's zero were captured (ISO times, the edge's clock). */
export interface CaptureTimes {
  videoStartedAt: string | null | undefined;
  timelineStartedAt: string | null | undefined;
}

/**
 * Where the timeline's zero (the procedure's first analysed frame) lies in the video, in ms (negative:
 * the video begins after it). Exact where the edge said when the first segment's first frame and
 * the first analysed frame were captured (both on its clock). Otherwise (older edges, files replayed
 * faster than real time) aligned at their ends: the recording can begin before the procedure (a
 * segment opened before an automatic start belongs to it) and ends when the procedure does, so the
 * video's surplus lies before the first frame; where the video is shorter the two start together.
 */
export function timelineOffsetMs(videoMs: number | null, timelineMs: number, times?: CaptureTimes): number {
  const video = times?.videoStartedAt ? Date.parse(times.videoStartedAt) : Number.NaN;
  const timeline = times?.timelineStartedAt ? Date.parse(times.timelineStartedAt) : Number.NaN;
  if (Number.isFinite(video) && Number.isFinite(timeline)) return timeline - video;
  return videoMs === null ? 0 : Math.max(0, videoMs - timelineMs);
}

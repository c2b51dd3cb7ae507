/**
 * What the hub's procedure API answers, as plain types with no imports: the server builds these
 * (procedures-repo.ts, procedure-timeline.ts) and the portal (hub/web) reads them, type-checked
 * against the same declarations.
 */

export type SyncState =
  | 'live'
  | 'syncing-analyses'
  | 'awaiting-recording'
  | 'uploading'
  | 'verifying'
  | 'available'
  | 'corrupt'
  | 'aborted'
  | 'no-recording';

/** One segment of a procedure's recording: what the edge sealed, and what the hub holds of it. */
export interface RecordingSegment {
  segmentIndex: number;
  /** The edge's seal: `failed` when the recorder wrote nothing usable. */
  sealed: 'ready' | 'failed';
  final: boolean;
  sizeBytes: number | null;
  /** The hub's recording of it (once an upload started), its state and the SHA-256 it verified. */
  recordingId: string | null;
  status: string | null;
  sha256: string | null;
  error: string | null;
  /** When its first frame was captured (the edge's clock), where the edge said. */
  startedAt: string | null;
}

export interface ProcedureSummary {
  id: string;
  deviceId: string;
  deviceName: string;
  /** Its site (an upload's own, else its device's) and its device's room; null: none given. */
  site: string | null;
  room: string | null;
  startedAt: string | null;
  endedAt: string | null;
  endReason: string | null;
  /** What started it (auto, finding, operator) and the endoscopist, when the edge said. */
  startTrigger: string | null;
  operator: string | null;
  endedBy: string | null;
  durationSeconds: number | null;
  /** From reaching the cecum to the end (or now), when the cecum was marked. */
  withdrawalSeconds: number | null;
  analysedFrames: number;
  findings: number;
  privacyRegions: number;
  /** Mean share of the picture the recording masked over in-body frames (0..1), when the edge said. */
  maskedInPicture: number | null;
  /** The recording as a whole: segments sealed, how many are verified here, their total size. */
  recording: { segments: number; available: number; sizeBytes: number; complete: boolean } | null;
  segments: RecordingSegment[];
  syncState: SyncState;
}

/** `GET /api/v1/procedures`: one page, newest first; `nextCursor` fetches the next (null: no more). */
export interface ProcedurePage {
  items: ProcedureSummary[];
  nextCursor: string | null;
  /** Procedures matching the filters, on every page. */
  total: number;
  limit: number;
}

/** The list's filters, as the query string carries them. */
export const PROCEDURE_STATUSES = ['live', 'ended', 'available'] as const;
export type ProcedureStatus = (typeof PROCEDURE_STATUSES)[number];

/**
 * `GET /api/v1/procedures/{id}/timeline`. Times (`tMs`, `startMs`, `endMs`) are milliseconds from the
 * procedure's first analysed frame, measured in the video's own time (frame timestamps), so they hold
 * for a file replayed faster than real time too. The page aligns this axis with the recording (see
 * hub/web/portal/lib/playlist.ts and procedure-timeline.ts).
 */
export interface Timeline {
  /** From the first analysed frame to one frame past the last. */
  durationMs: number;
  /**
   * When the axis's zero (the first analysed frame) was captured, on the edge's clock, for a live
   * source: its `capturedAt`, or from older edges an estimate from the event times (see
   * `captureStart`). Null without analyses. With a segment's `startedAt` it places the video on
   * the axis.
   */
  startedAt: string | null;
  /** Runs of consecutive frames in which a model found the same thing, at their best frame. */
  findings: { tMs: number; startMs: number; endMs: number; label: string; score: number; modelId: string }[];
  alerts: {
    id: string;
    tMs: number;
    label: string;
    score: number;
    state: 'active' | 'acknowledged' | 'dismissed' | 'ended';
    acknowledgedBy: string | null;
    acknowledgedMs: number | null;
    dismissedBy: string | null;
    dismissedMs: number | null;
  }[];
  landmarks: { tMs: number; name: 'cecum' }[];
  /** From the cecum to the end of the procedure, once the cecum was marked. */
  withdrawal: { startMs: number; endMs: number } | null;
  inBody: { startMs: number; endMs: number }[];
  /** Sharpness-based quality per analysed frame, 0 (blurred) .. 1 (sharp, well exposed). */
  quality: { tMs: number; score: number }[];
  chat: { tMs: number; role: 'user' | 'assistant'; text: string; by: string | null }[];
  /**
   * The edge's VLM readings of frames (AI-generated, educational, not a diagnosis): the findings as a
   * line, or why there are none. Absent from timelines built without them.
   */
  modelReadings?: {
    tMs: number;
    trigger: 'request' | 'flagged' | 'interval';
    outcome: 'parsed' | 'repaired' | 'unparseable' | 'engine-error';
    text: string | null;
    reason: string | null;
    modelId: string;
  }[];
}

/** `GET /api/v1/procedures/{id}/playback`: the verified segments in order, each a short-lived URL. */
export interface Playback {
  segments: {
    segmentIndex: number;
    /** Where it starts on the procedure's axis; null until the lengths before it are known. */
    startMs: number | null;
    /** Its length when known at the hub; null: the player reads it from the file. */
    durationMs: number | null;
    /** When its first frame was captured (the edge's clock); null from older edges and fast replays. */
    startedAt: string | null;
    url: string;
    sizeBytes: number;
  }[];
  /** Segments the edge sealed that cannot be played here (not uploaded, failed, corrupt), with why. */
  missing: { segmentIndex: number; reason: string }[];
  /** Seconds the URLs stay valid; the page asks again before then. */
  expiresInSeconds: number;
}

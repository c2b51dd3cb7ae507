import { z } from 'zod';
import { frameFindingsSchema } from '../vlm/frame-findings.js';

/** A region in normalised image coordinates (0..1 of width and height). */
export const boxSchema = z.object({
  x: z.number().min(0).max(1),
  y: z.number().min(0).max(1),
  w: z.number().min(0).max(1),
  h: z.number().min(0).max(1),
});
export type Box = z.infer<typeof boxSchema>;

export const modelRefSchema = z.object({
  id: z.string().min(1).max(100),
  version: z.string().min(1).max(50),
  executionProvider: z.string().min(1).max(30),
});
export type ModelRef = z.infer<typeof modelRefSchema>;

export const frameQualitySchema = z.object({
  /** Variance of the Laplacian of luma; low means blurred. */
  sharpness: z.number().nonnegative(),
  /** Mean luma, 0..1. */
  brightness: z.number().min(0).max(1),
  blurred: z.boolean(),
  exposure: z.enum(['under', 'ok', 'over']),
  /** True when the view looks like the inside of the bowel (red-dominant); false when the scope is outside. */
  inBody: z.boolean(),
});
export type FrameQuality = z.infer<typeof frameQualitySchema>;

export const detectionSchema = z.object({
  label: z.string().min(1).max(50),
  score: z.number().min(0).max(1),
  box: boxSchema,
  modelId: z.string().min(1).max(100),
});
export type Detection = z.infer<typeof detectionSchema>;

/** A point in normalised image coordinates. */
export const pointSchema = z.object({ x: z.number().min(0).max(1), y: z.number().min(0).max(1) });

/** The endoscope's picture: its outline (normalised, just inside its edge) and whether a dark border surrounds it. */
export const fieldOfViewSchema = z.object({
  polygon: z.array(pointSchema).min(3).max(400),
  bordered: z.boolean(),
});

/** The analysis of one sampled frame. Carries no pixels: nothing here can hold patient text or faces. */
export const frameAnalysisSchema = z.object({
  frameIndex: z.number().int().nonnegative(),
  /** Presentation time in the source, milliseconds. */
  ptsMs: z.number().nonnegative(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  quality: frameQualitySchema,
  /**
   * Burned-in text lines (grown to their masks) and faces found in this frame. `recognised`: what the
   * text recogniser said of a line inside the picture (false: not text, so not masked); absent where
   * it was not asked, and the line is masked.
   */
  privacyRegions: z
    .array(
      boxSchema.extend({ kind: z.enum(['text', 'face']).optional(), recognised: z.boolean().optional() }),
    )
    .max(500),
  /** The endoscope's picture found in this frame (see analysis/privacy/field-of-view.ts). */
  fieldOfView: fieldOfViewSchema.optional(),
  /**
   * How this frame was searched for text: `full` (10 px glyphs kept); `light` (at 512 px across: banner
   * lines), between full scans on a live source (see analysis/scan-cadence.ts); `none` (not searched:
   * a recording the room already de-identified, analysed again at the hub). Faces: always in full.
   */
  scan: z.enum(['full', 'light', 'none']).optional(),
  /** Share of the picture the recording masks at this frame (layout, text, faces), set by the edge. */
  maskedInPicture: z.number().min(0).max(1).optional(),
  /** Clinical findings (e.g. polyps) from operator-supplied models. */
  detections: z.array(detectionSchema).max(200),
  models: z.array(modelRefSchema).max(20),
  /** Models configured but not running, with the reason. */
  modelsOff: z.array(z.object({ id: z.string().max(100), reason: z.string().max(500) })).max(20),
  latencyMs: z.number().nonnegative(),
  /**
   * When the frame was captured (the edge's clock), for a live source: with a recording segment's
   * `startedAt`, it places the procedure's timeline on its video. Absent from older edges and replays.
   */
  capturedAt: z.iso.datetime({ offset: true }).optional(),
});
export type FrameAnalysis = z.infer<typeof frameAnalysisSchema>;

const isoTime = z.iso.datetime({ offset: true });

const eventBase = {
  /** Globally unique event id (UUID), the idempotency key at the hub together with the device id. */
  id: z.uuid(),
  /** Per-device sequence number, strictly increasing. */
  seq: z.number().int().positive(),
  ts: isoTime,
  procedureId: z.uuid(),
};

export const procedureStartedEvent = z.object({
  ...eventBase,
  type: z.literal('procedure.started'),
  body: z.object({
    startedAt: isoTime,
    source: z.object({ kind: z.enum(['file', 'v4l2', 'rtsp', 'test']), label: z.string().max(200) }),
    /** What started it: in-body video for long enough, an alert, or a person (screen or API). */
    trigger: z.enum(['auto', 'finding', 'operator']).optional(),
    /** The endoscopist signed in on the screen (or named in the API call), if any. */
    operator: z.string().max(100).nullable().optional(),
  }),
});

export const frameAnalysedEvent = z.object({
  ...eventBase,
  type: z.literal('frame.analysed'),
  body: frameAnalysisSchema,
});

export const procedureEndedEvent = z.object({
  ...eventBase,
  type: z.literal('procedure.ended'),
  body: z.object({
    endedAt: isoTime,
    analysedFrames: z.number().int().nonnegative(),
    reason: z.enum(['source-ended', 'source-lost', 'operator', 'shutdown', 'out-of-body']),
    /** Who ended it, when a person did. */
    endedBy: z.string().max(100).nullable().optional(),
    /**
     * Mean share of the picture the recording masked over the procedure's in-body analysed frames
     * (text, layout, faces): what a reviewer lost of the clinical image. Null: no in-body frame.
     */
    maskedInPicture: z.number().min(0).max(1).nullable().optional(),
  }),
});

export const alertChangedEvent = z.object({
  ...eventBase,
  type: z.literal('alert.changed'),
  body: z.object({
    alertId: z.uuid(),
    label: z.string().min(1).max(50),
    modelId: z.string().min(1).max(100),
    modelVersion: z.string().min(1).max(50),
    firstFrameIndex: z.number().int().nonnegative(),
    raisedFrameIndex: z.number().int().nonnegative(),
    raisedAt: isoTime,
    bestScore: z.number().min(0).max(1),
    box: boxSchema,
    shown: z.boolean(),
    state: z.enum(['active', 'acknowledged', 'dismissed', 'ended']),
    acknowledgedBy: z.string().max(100).nullable(),
    acknowledgedAt: isoTime.nullable(),
    dismissedBy: z.string().max(100).nullable(),
    dismissedAt: isoTime.nullable(),
  }),
});

/** The edge sealed (or could not seal) one segment of a procedure's recording; the upload goes over HTTP. */
export const recordingSealedEvent = z.object({
  ...eventBase,
  type: z.literal('recording.sealed'),
  body: z.object({
    recordingId: z.uuid(),
    status: z.enum(['ready', 'failed']),
    sizeBytes: z.number().int().nonnegative().nullable(),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .nullable(),
    error: z.string().max(500).nullable(),
    /** Which segment of the procedure's recording this is (0 first); absent from older edges: 0. */
    segmentIndex: z.number().int().nonnegative().max(100_000).optional(),
    /** The procedure's last segment: with it, the hub knows how many to expect. Absent: true. */
    final: z.boolean().optional(),
    /**
     * Wall-clock time its first frame was captured, on the edge's clock (the clock of its events'
     * timestamps): where the video lies against the procedure's timeline. Absent from older edges,
     * and where the edge cannot tell (a file replayed faster than real time).
     */
    startedAt: isoTime.optional(),
  }),
});

/** A landmark marked by the endoscopist; reaching the cecum starts the withdrawal time. */
export const landmarkMarkedEvent = z.object({
  ...eventBase,
  type: z.literal('landmark.marked'),
  body: z.object({ landmark: z.literal('cecum'), at: isoTime, by: z.string().max(100) }),
});

/** Longest chat message, in characters (a question or an answer, not a document). */
export const CHAT_TEXT_MAX = 8000;

/**
 * A time a chat answer rests on: a point on the procedure's axis (ms from its first analysed frame),
 * the wall clock there when known, what is there, and the alert there when there is one. The screen
 * opens the frame at that time; the hub's page jumps the video to it.
 */
export const citationSchema = z.object({
  tMs: z.number().nonnegative(),
  at: isoTime.nullable(),
  label: z.string().min(1).max(200),
  alertId: z.uuid().optional(),
});
export type Citation = z.infer<typeof citationSchema>;

/** How an assistant message was made: from the procedure's timeline, by the model, or not at all (why, in its text). */
export const CHAT_SOURCES = ['timeline', 'model', 'unavailable'] as const;

/** One message of the educational chat about a procedure, as the edge stored it. */
export const chatMessageSchema = z.object({
  /** UUID made by the edge; with the device id, the hub's idempotency key for the message. */
  messageId: z.uuid(),
  /** A conversation; every message of one session is about the same procedure. */
  sessionId: z.uuid(),
  role: z.enum(['user', 'assistant']),
  text: z.string().min(1).max(CHAT_TEXT_MAX),
  at: isoTime,
  /** Who typed it (a user message), when the room said. */
  by: z.string().min(1).max(100).optional(),
  /** An answer's citations (absent from older edges and from questions). */
  citations: z.array(citationSchema).max(50).optional(),
  /** An answer's source (absent from older edges and from questions). */
  source: z.enum(CHAT_SOURCES).optional(),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

export const chatMessageEvent = z.object({
  ...eventBase,
  type: z.literal('chat.message'),
  body: chatMessageSchema,
});

/**
 * What the vision-language model made of one frame (shared/vlm/frame-findings.ts): the validated
 * findings, or why there are none. AI-generated and educational, never a diagnosis. The frame is
 * not sent: it was the de-identified (masked) frame, and only its time is kept.
 */
export const frameFindingsEvent = z.object({
  ...eventBase,
  type: z.literal('frame.findings'),
  body: z.object({
    /** UUID made by the edge; with the device id, the hub's idempotency key. */
    findingsId: z.uuid(),
    /** Wall-clock time of the frame. */
    at: isoTime,
    /** Stream time of the frame, ms. */
    ptsMs: z.number().nonnegative(),
    /** Why it was analysed: asked for on the screen, flagged by the polyp detector, or routine. */
    trigger: z.enum(['request', 'flagged', 'interval']),
    outcome: z.enum(['parsed', 'repaired', 'unparseable', 'engine-error']),
    /** The findings, when the answer parsed (first try or after the one repair). */
    findings: frameFindingsSchema.nullable(),
    /** Why there are none, when it did not. */
    reason: z.string().max(2000).nullable(),
    modelId: z.string().min(1).max(200),
    /** Answers the model gave: 1 (parsed), 2 (repair asked), 0 (the engine failed first). */
    attempts: z.number().int().min(0).max(2),
    /** Time the analysis took, ms. */
    ms: z.number().nonnegative(),
  }),
});
export type FrameFindingsEvent = z.infer<typeof frameFindingsEvent>;

/** One region of a device's on-screen-display mask layout: learned from the video, or drawn by a person. */
export const layoutBoxSchema = boxSchema.extend({ origin: z.enum(['learned', 'manual']) });
export type LayoutBox = z.infer<typeof layoutBoxSchema>;

/** Most regions a device's mask layout holds. */
export const MAX_LAYOUT_BOXES = 32;

/**
 * The device's on-screen-display mask layout changed (learned from the video, or edited on the in-room
 * screen): the whole layout, so the latest event is the device's record. Not about a procedure.
 */
export const maskLayoutEvent = z.object({
  id: eventBase.id,
  seq: eventBase.seq,
  ts: eventBase.ts,
  procedureId: z.null().optional(),
  type: z.literal('device.mask-layout'),
  body: z.object({
    boxes: z.array(layoutBoxSchema).max(MAX_LAYOUT_BOXES),
    change: z.enum(['learned', 'edited']),
    /** Who edited it, when a person did. */
    by: z.string().max(100).nullable(),
  }),
});

/** Everything a device publishes on its `events` topic. */
export const deviceEventSchema = z.discriminatedUnion('type', [
  procedureStartedEvent,
  frameAnalysedEvent,
  procedureEndedEvent,
  alertChangedEvent,
  recordingSealedEvent,
  landmarkMarkedEvent,
  chatMessageEvent,
  maskLayoutEvent,
  frameFindingsEvent,
]);
export type DeviceEvent = z.infer<typeof deviceEventSchema>;
export type DeviceEventType = DeviceEvent['type'];

/** Hub -> device on `ack`: these event ids are committed in PostgreSQL. */
export const ackSchema = z.object({ ids: z.array(z.uuid()).min(1).max(1000) });
export type Ack = z.infer<typeof ackSchema>;

/** Retained on `status`; `offline` is the Last Will. */
export const deviceStatusSchema = z.object({
  state: z.enum(['online', 'offline', 'in-procedure', 'no-signal']),
  ts: isoTime,
  version: z.string().max(50).optional(),
});
export type DeviceStatus = z.infer<typeof deviceStatusSchema>;

/** QoS 0 on `telemetry`, every 15 s: the box's health and backlog, for the fleet view. */
/** One GPU as `nvidia-smi` reports it. */
const gpuStatsSchema = z.object({
  name: z.string().max(100),
  utilPercent: z.number().min(0).max(100).nullable(),
  memoryUsedBytes: z.number().nonnegative().nullable(),
  memoryTotalBytes: z.number().nonnegative().nullable(),
  temperatureC: z.number().min(-50).max(200).nullable(),
});

/** The machine's load: CPU over the last interval, memory, the hottest thermal zone, GPUs. */
export const hostStatsSchema = z.object({
  /** Share of all cores busy since the previous sample (null on the first). */
  cpuPercent: z.number().min(0).max(100).nullable(),
  loadAvg1: z.number().nonnegative(),
  cpus: z.number().int().positive(),
  memoryUsedBytes: z.number().nonnegative(),
  memoryTotalBytes: z.number().nonnegative(),
  /** This process's resident memory. */
  processRssBytes: z.number().nonnegative(),
  /** Hottest of the machine's thermal zones (°C); null where it has none. */
  temperatureC: z.number().min(-50).max(200).nullable(),
  /** From `nvidia-smi` where it exists; null where there is none. */
  gpus: z.array(gpuStatsSchema).max(16).nullable(),
});
export type HostStats = z.infer<typeof hostStatsSchema>;

export const telemetrySchema = z.object({
  ts: isoTime,
  source: z.object({
    state: z.enum(['starting', 'live', 'no-signal', 'ended']),
    message: z.string().max(500).optional(),
  }),
  procedureId: z.uuid().nullable(),
  analysisFps: z.number().nonnegative(),
  pendingEvents: z.number().int().nonnegative(),
  upload: z
    .object({
      recordingId: z.uuid(),
      status: z.string().max(20),
      partsDone: z.number().int(),
      partCount: z.number().int(),
    })
    .nullable(),
  disk: z
    .object({
      freeBytes: z.number().nonnegative(),
      recordingsBytes: z.number().nonnegative(),
      warning: z.string().max(200).optional(),
      /** False while the disk is too full to record (analysis goes on). */
      recording: z.boolean().optional(),
    })
    .nullable(),
  /** Live analysis: `stalled` while the source is live but no frame gets analysed; absent from older edges. */
  analysis: z
    .object({
      state: z.enum(['running', 'idle', 'stalled']),
      since: isoTime.optional(),
      message: z.string().max(500).optional(),
      restarts: z.number().int().nonnegative(),
    })
    .optional(),
  /** The recorder, when it fails to write (a full or failing disk); absent from older edges. */
  recorder: z.object({ recording: z.boolean(), error: z.string().max(500).optional() }).optional(),
  models: z.array(modelRefSchema).max(20),
  modelsOff: z.array(z.object({ id: z.string().max(100), reason: z.string().max(500) })).max(20),
  /** The box's software version; absent from older edges. */
  appVersion: z.string().max(50).optional(),
  /** The machine: absent from older edges (see edge/src/sync/host-stats.ts). */
  host: hostStatsSchema.optional(),
});
export type Telemetry = z.infer<typeof telemetrySchema>;

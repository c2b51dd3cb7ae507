// What a simulated box publishes, shaped as the edge shapes it and checked against the shared schemas
// (a payload the schema refuses ends the run: the hub would dead-letter it, and the figures would lie).
import { randomUUID } from 'node:crypto';
import { deviceEventSchema, telemetrySchema } from '@gic/shared/messages/events.js';

const MODELS = [
  { id: 'pp-ocrv4-det', version: '4.0.0', executionProvider: 'cuda' },
  { id: 'blazeface-front', version: '1.0.0', executionProvider: 'cuda' },
  { id: 'polyp-yolo', version: '2.1.0', executionProvider: 'cuda' },
];
/** Analysis frames a second, as a live room analyses (the events per second of a box in a procedure). */
const ANALYSIS_FPS = 3;

/** The endoscope's round picture: an octagon just inside its edge. */
const FIELD_OF_VIEW = {
  polygon: [
    { x: 0.3, y: 0.05 },
    { x: 0.7, y: 0.05 },
    { x: 0.9, y: 0.3 },
    { x: 0.9, y: 0.7 },
    { x: 0.7, y: 0.95 },
    { x: 0.3, y: 0.95 },
    { x: 0.1, y: 0.7 },
    { x: 0.1, y: 0.3 },
  ],
  bordered: true,
};

const round = (v, digits = 3) => Number(v.toFixed(digits));

/** One analysed frame of a live procedure: quality, the tower's text lines, now and then a polyp. */
export function frameAnalysis(frameIndex, startedAtMs) {
  const ptsMs = Math.round((frameIndex * 1000) / ANALYSIS_FPS);
  const polyp = Math.random() < 0.05;
  const sharpness = 300 + Math.random() * 900;
  return {
    frameIndex,
    ptsMs,
    width: 1280,
    height: 720,
    quality: {
      sharpness: round(sharpness, 1),
      brightness: round(0.25 + Math.random() * 0.2),
      blurred: sharpness < 400,
      exposure: 'ok',
      inBody: frameIndex > 6,
    },
    privacyRegions: [
      { x: 0.02, y: 0.04, w: 0.55, h: 0.06, kind: 'text', recognised: true },
      { x: 0.02, y: 0.91, w: 0.15, h: 0.05, kind: 'text', recognised: true },
    ],
    fieldOfView: FIELD_OF_VIEW,
    scan: frameIndex % ANALYSIS_FPS === 0 ? 'full' : 'light',
    maskedInPicture: 0.04,
    detections: polyp
      ? [
          {
            label: 'polyp',
            score: round(0.5 + Math.random() * 0.5),
            box: { x: 0.41, y: 0.37, w: 0.12, h: 0.1 },
            modelId: 'polyp-yolo',
          },
        ]
      : [],
    models: MODELS,
    modelsOff: [],
    latencyMs: round(25 + Math.random() * 30, 1),
    capturedAt: new Date(startedAtMs + ptsMs).toISOString(),
  };
}

/**
 * A box's event stream: procedures started, analysed at 3 fps and ended, one after another, each a
 * random length. `next()` gives the next event; `inProcedure` says whether one runs.
 */
export class ProcedureScript {
  seq = 0;
  procedure = null;

  /** @param {{ minFrames: number, maxFrames: number }} lengths frames per procedure */
  constructor(lengths = { minFrames: 60, maxFrames: 180 }) {
    this.lengths = lengths;
  }

  get inProcedure() {
    return this.procedure !== null;
  }

  /** The next event: a start when none runs, an end when this one has its frames, else a frame. */
  next() {
    const ts = new Date().toISOString();
    const base = { id: randomUUID(), seq: ++this.seq, ts };
    if (!this.procedure) {
      const { minFrames, maxFrames } = this.lengths;
      this.procedure = {
        id: randomUUID(),
        startedAtMs: Date.now(),
        frames: 0,
        planned: minFrames + Math.floor(Math.random() * (maxFrames - minFrames + 1)),
      };
      return {
        ...base,
        type: 'procedure.started',
        procedureId: this.procedure.id,
        body: {
          startedAt: ts,
          source: { kind: 'v4l2', label: 'HDMI capture' },
          trigger: 'auto',
          operator: null,
        },
      };
    }
    const p = this.procedure;
    if (p.frames >= p.planned) return this.end(base, 'out-of-body');
    return {
      ...base,
      type: 'frame.analysed',
      procedureId: p.id,
      body: frameAnalysis(p.frames++, p.startedAtMs),
    };
  }

  /** The event that ends the running procedure (null if none runs). */
  endNow() {
    if (!this.procedure) return null;
    return this.end({ id: randomUUID(), seq: ++this.seq, ts: new Date().toISOString() }, 'operator');
  }

  end(base, reason) {
    const p = this.procedure;
    this.procedure = null;
    return {
      ...base,
      type: 'procedure.ended',
      procedureId: p.id,
      body: {
        endedAt: base.ts,
        analysedFrames: p.frames,
        reason,
        endedBy: reason === 'operator' ? 'dr-bench' : null,
        maskedInPicture: 0.04,
      },
    };
  }
}

/** Checks one payload against its schema; a refused one is a bug in this simulation. */
export function checked(schema, value, what) {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new Error(
      `simulated ${what} does not match its schema: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return value;
}

/** Validates one event of each type the first time it is made (all of them would cost the devices' CPU). */
export function eventChecker() {
  const seen = new Set();
  return (event) => {
    if (seen.has(event.type)) return event;
    seen.add(event.type);
    return checked(deviceEventSchema, event, `${event.type} event`);
  };
}

/** A box's telemetry (every 15 s on the edge), with the machine's block as `host-stats.ts` makes it. */
export function telemetry({ procedureId, pendingEvents, sourceLive }) {
  const memoryTotalBytes = 32 * 1024 ** 3;
  return checked(
    telemetrySchema,
    {
      ts: new Date().toISOString(),
      source: { state: sourceLive ? 'live' : 'no-signal' },
      procedureId,
      analysisFps: procedureId ? ANALYSIS_FPS : 0,
      pendingEvents,
      upload: null,
      disk: { freeBytes: 180e9 + Math.round(Math.random() * 1e9), recordingsBytes: 42e9, recording: true },
      analysis: { state: procedureId ? 'running' : 'idle', restarts: 0 },
      models: MODELS,
      modelsOff: [],
      appVersion: 'bench-fleet',
      host: {
        cpuPercent: round(20 + Math.random() * 40, 1),
        loadAvg1: round(1 + Math.random() * 3, 2),
        cpus: 8,
        memoryUsedBytes: Math.round(memoryTotalBytes * (0.3 + Math.random() * 0.2)),
        memoryTotalBytes,
        processRssBytes: Math.round(1.2e9 + Math.random() * 3e8),
        temperatureC: round(55 + Math.random() * 15, 1),
        gpus: [
          {
            name: 'NVIDIA RTX A2000',
            utilPercent: round(30 + Math.random() * 40, 0),
            memoryUsedBytes: 3.1e9,
            memoryTotalBytes: 12e9,
            temperatureC: 61,
          },
        ],
      },
    },
    'telemetry',
  );
}

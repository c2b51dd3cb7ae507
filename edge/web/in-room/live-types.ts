/**
 * What the in-room screen reads of the edge's live state (`GET /api/v1/realtime/analysis` and the
 * WebSocket's messages; edge/src/live/live-state.ts is the source). Only the fields shown here: the
 * screen is bundled for the browser and cannot import the process's own modules.
 */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface LiveAlert {
  id: string;
  label: string;
  bestScore: number;
  state: 'active' | 'acknowledged' | 'dismissed' | 'ended';
  acknowledgedBy?: string;
}

export interface LiveFinding {
  id: string;
  label: string;
  bestScore: number;
  raisedAt: string;
}

export interface LatestAnalysis {
  latencyMs: number;
  quality: { blurred: boolean; exposure: 'under' | 'ok' | 'over'; inBody: boolean };
  privacyRegions: (Box & { recognised?: boolean })[];
  detections: { label: string; score: number; box: Box }[];
  models: { id: string; version: string; executionProvider: string }[];
  modelsOff: { id: string; reason: string }[];
  fieldOfView?: { polygon: { x: number; y: number }[] };
  maskedInPicture?: number;
}

export interface LiveProcedure {
  id: string;
  startedAt: string;
  endedAt?: string;
  cecumReachedAt?: string;
  frames: number;
  trigger: 'auto' | 'finding' | 'operator';
  operator?: string | null;
}

/** The structured findings the VLM gave for one frame (shared/vlm/frame-findings.ts). */
export interface VlmFindings {
  finding: string | null;
  findingType: string;
  location: string;
  sizeMm: number | null;
  paris: string | null;
  nice: number | null;
  bowelPrep: number | null;
  imageQuality: { usable: boolean; remarks: string[] };
  scene: {
    light: string;
    dye: boolean;
    instrument: string;
    flushing: boolean;
    occluded: boolean;
    outsidePatient: boolean;
  };
}

/** Frame analysis by the VLM (edge/src/findings/edge-frame-findings.ts). */
export interface FrameFindingsState {
  state: 'ready' | 'off';
  reason?: string;
  model?: string;
  notice: string;
  busy: boolean;
  counts: { parsed: number; repaired: number; unparseable: number; 'engine-error': number };
  parseRate: number | null;
  latest: {
    at: string;
    trigger: 'request' | 'flagged' | 'interval';
    outcome: 'parsed' | 'repaired' | 'unparseable' | 'engine-error';
    findings: VlmFindings | null;
    reason: string | null;
    modelId: string;
    ms: number;
  } | null;
}

export interface LiveState {
  source: { kind: string; label: string; state: string; message?: string };
  procedure: LiveProcedure | null;
  procedurePending: boolean;
  operator: string | null;
  latest: LatestAnalysis | null;
  framesAnalysed: number;
  analysisFps: number;
  alerts?: LiveAlert[];
  findings?: LiveFinding[];
  disk: { warning?: string } | null;
  recorder?: { recording: boolean; error?: string };
  analysis?: { state: string; message?: string; restarts: number };
  recorded?: { segments: number; bytes: number; state: RecordingState } | null;
  frameFindings?: FrameFindingsState;
  sync: {
    connected: boolean;
    pendingEvents: number;
    upload?: { status: string; partsDone: number; partCount: number };
  };
}

export type RecordingState = 'none' | 'recording' | 'sealed' | 'uploading' | 'verified' | 'failed';

/**
 * The video API's answers (Helper A's half of issue 11, docs/contract: hub/src/http/video-routes.ts
 * serves them). A video's id is its procedure's id. Until the hub serves them they answer 404, and
 * the page says so rather than failing.
 */
export type RunState = 'waiting' | 'active' | 'completed' | 'failed' | 'cancelled' | 'none';

export interface ProcessingStatus {
  runId: string | null;
  state: RunState;
  progress: number;
  etaSeconds: number | null;
  stage: 'extract' | 'analyse' | 'summary' | 'export' | null;
  stages: {
    name: string;
    state: string;
    progress: number;
    startedAt: string | null;
    finishedAt: string | null;
    error: string | null;
  }[];
}

export interface VideoSummary {
  findings: { tMs: number; kind: string; score: number }[];
  quality: { tMs: number; score: number }[];
  withdrawalMs: number | null;
  phases: { name: string; startMs: number; endMs: number }[];
  notes: { text: string; source: 'vlm' | 'data' };
}

export interface KeyFrame {
  tMs: number;
  url: string;
}

export type ExportPurpose = 'clinical' | 'teaching';

export interface ExportState {
  state: 'none' | 'waiting' | 'active' | 'ready' | 'failed';
  /** Clinical, or teaching (no room conversation, no device names: what trainees may download). */
  purpose: ExportPurpose | null;
  url: string | null;
  bytes: number | null;
  sha256: string | null;
  error: string | null;
}

export interface JobQueues {
  queues: {
    name: string;
    paused: boolean;
    active: number;
    waiting: number;
    failed: number;
    failedJobs: { id: string; error: string | null; failedAt: string | null; data: unknown }[];
  }[];
}

export const videoPath = (id: string, tail = '') => `/api/v1/videos/${encodeURIComponent(id)}${tail}`;

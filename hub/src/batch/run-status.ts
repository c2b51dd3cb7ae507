import { type RunRow, type RunState, STAGE_SPAN, type StageName, type StageRow } from './processing-repo.js';

/** `GET /api/v1/videos/{id}/status`, and each `status` event of the SSE stream. */
export interface RunStatus {
  runId: string | null;
  state: RunState | 'none';
  /** Whole run, 0..100: extract 0-30, analyse 30-80, summary 80-90, export 90-100. */
  progress: number;
  /** Time left at the rate so far (s); null before there is a rate to go by, or once finished. */
  etaSeconds: number | null;
  stage: StageName | null;
  stages: {
    name: StageName;
    state: RunState;
    progress: number;
    startedAt: string | null;
    finishedAt: string | null;
    error: string | null;
  }[];
}

export const NO_RUN: RunStatus = {
  runId: null,
  state: 'none',
  progress: 0,
  etaSeconds: null,
  stage: null,
  stages: [],
};

/** Overall percent from the stages: each finished stage counts whole, the running one by its share. */
export function overallProgress(stages: Pick<StageRow, 'name' | 'state' | 'progress'>[]): number {
  let total = 0;
  for (const s of stages) {
    const [from, to] = STAGE_SPAN[s.name];
    const share = s.state === 'completed' ? 1 : s.progress;
    total += (to - from) * share;
  }
  return Math.round(total * 10) / 10;
}

/** The status a client sees; `now` in ms since the epoch. ETA: the time spent so far, scaled by what is left. */
export function runStatus(run: RunRow | undefined, stages: StageRow[], now = Date.now()): RunStatus {
  if (!run) return NO_RUN;
  const progress = overallProgress(stages);
  const started = stages
    .map((s) => s.started_at?.getTime())
    .filter((t): t is number => t !== undefined)
    .sort((a, b) => a - b)[0];
  const going = run.state === 'active' || run.state === 'waiting';
  const elapsedS = started === undefined ? 0 : (now - started) / 1000;
  const etaSeconds =
    going && progress >= 1 && elapsedS > 0 ? Math.round((elapsedS * (100 - progress)) / progress) : null;
  return {
    runId: run.id,
    state: run.state,
    progress,
    etaSeconds,
    stage: going ? run.stage : null,
    stages: stages.map((s) => ({
      name: s.name,
      state: s.state,
      progress: Math.round((s.state === 'completed' ? 1 : s.progress) * 1000) / 10,
      startedAt: s.started_at?.toISOString() ?? null,
      finishedAt: s.finished_at?.toISOString() ?? null,
      error: s.error,
    })),
  };
}

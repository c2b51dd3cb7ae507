/** A device's state in a rollout (hub/src/models/rollout-plan.ts DeviceRolloutState), in display order. */
export const DEVICE_STATES = [
  'pending',
  'deferred',
  'installing',
  'healthy',
  'failed',
  'rolling-back',
  'rolled-back',
] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];
export type Counts = Partial<Record<DeviceState, number>>;

/** A rollout as `GET /api/v1/rollouts` lists it (hub/src/models/rollouts-repo.ts). */
export interface RolloutSummary {
  id: string;
  modelId: string;
  version: string;
  tag: string | null;
  canary: number;
  percent: number;
  maxFailures: number;
  status: 'running' | 'paused' | 'completed' | 'aborted' | 'rolled-back';
  stage: 'canary' | 'percent' | 'done';
  reason: string | null;
  createdBy: string;
  createdAt: string;
  counts: Counts;
}

/** One device of `GET /api/v1/rollouts/{id}`. */
export interface RolloutDevice {
  deviceId: string;
  stage: 'canary' | 'percent';
  position: number;
  state: DeviceState;
  reason: string | null;
  updatedAt: string;
}

export interface RolloutDetail extends RolloutSummary {
  devices: RolloutDevice[];
}

/** A model version as `GET /api/v1/models` lists it. */
export interface ModelVersion {
  id: string;
  version: string;
  task: string;
  ready: boolean;
}

export type RolloutAction = 'pause' | 'resume' | 'rollback';

/** From which statuses the hub allows each action (hub/src/http/rollout-routes.ts ACTIONS). */
const ALLOWED_FROM: Record<RolloutAction, readonly RolloutSummary['status'][]> = {
  pause: ['running'],
  resume: ['paused'],
  rollback: ['running', 'paused', 'completed', 'aborted'],
};

export const canDo = (action: RolloutAction, status: RolloutSummary['status']) =>
  ALLOWED_FROM[action].includes(status);

/**
 * Whether the rollout may still change by itself (hub/src/models/rollout-plan.ts nextStep): its pages
 * refresh while it may. Running or paused; a device whose box has not answered yet; rolled back with
 * devices still to be told; aborted with a device that installs once its procedure ends.
 */
export function isLive(r: Pick<RolloutSummary, 'status' | 'counts'>): boolean {
  const n = (s: DeviceState) => r.counts[s] ?? 0;
  if (r.status === 'running' || r.status === 'paused') return true;
  if (n('installing') + n('rolling-back') > 0) return true;
  if (r.status === 'rolled-back') return n('healthy') + n('deferred') > 0;
  return r.status === 'aborted' && n('deferred') > 0;
}

/** The progress bar's parts: each state with devices, its share of the whole (0..1), in order. */
export function progress(counts: Counts): { state: DeviceState; n: number; share: number }[] {
  const total = DEVICE_STATES.reduce((sum, s) => sum + (counts[s] ?? 0), 0);
  return DEVICE_STATES.filter((s) => (counts[s] ?? 0) > 0).map((state) => ({
    state,
    n: counts[state]!,
    share: counts[state]! / total,
  }));
}

/** The counts in one line, e.g. "3 device(s): 2 healthy, 1 installing". */
export function countsLine(counts: Counts): string {
  const parts = progress(counts);
  const total = parts.reduce((sum, p) => sum + p.n, 0);
  return `${total} device(s)${parts.length ? `: ${parts.map((p) => `${p.n} ${p.state}`).join(', ')}` : ''}`;
}

import { createHash } from 'node:crypto';

export const ROLLOUT_STATUSES = ['running', 'paused', 'completed', 'aborted', 'rolled-back'] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];
export type RolloutStage = 'canary' | 'percent' | 'done';
export type DeviceRolloutState =
  | 'pending'
  | 'deferred'
  | 'installing'
  | 'healthy'
  | 'failed'
  | 'rolling-back'
  | 'rolled-back';

/** One chosen device as the plan sees it. */
export interface PlannedDevice {
  deviceId: string;
  stage: 'canary' | 'percent';
  state: DeviceRolloutState;
  /** The install command sent (null: not yet). */
  commandId: string | null;
  rollbackCommandId: string | null;
}

/**
 * The devices a rollout takes, in order: sorted by SHA-256 of `seed:deviceId` (the same devices for the
 * same seed and fleet, spread across sites and rooms rather than by name), the first `canary` of them
 * the canary group, then `percent` % (rounded up) of the rest.
 */
export function chooseDevices(
  deviceIds: readonly string[],
  seed: string,
  canary: number,
  percent: number,
): { deviceId: string; stage: 'canary' | 'percent' }[] {
  const key = (id: string) => createHash('sha256').update(`${seed}:${id}`).digest('hex');
  const ordered = [...new Set(deviceIds)]
    .map((id) => ({ id, k: key(id) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .map((d) => d.id);
  const canaries = ordered.slice(0, canary);
  const rest = ordered.slice(canary);
  const taken = rest.slice(0, Math.ceil((rest.length * percent) / 100));
  return [
    ...canaries.map((deviceId) => ({ deviceId, stage: 'canary' as const })),
    ...taken.map((deviceId) => ({ deviceId, stage: 'percent' as const })),
  ];
}

/** A command's status as the hub keeps it, with the box's reason and detail. */
export interface CommandState {
  status: 'issued' | 'accepted' | 'refused' | 'succeeded' | 'failed' | 'expired';
  reason: string | null;
  detail: Record<string, unknown> | null;
}

/**
 * A device's rollout state from its install command (`accepted` with `detail.deferred`: deferred,
 * until the box answers `accepted` again with `detail.started` when the procedure has ended).
 */
export function installState(c: CommandState): { state: DeviceRolloutState; reason: string | null } {
  switch (c.status) {
    case 'issued':
      return { state: 'pending', reason: null };
    case 'accepted':
      return c.detail?.deferred && !c.detail.started
        ? { state: 'deferred', reason: c.reason ?? 'a procedure is in progress' }
        : { state: 'installing', reason: null };
    case 'succeeded':
      return { state: 'healthy', reason: null };
    default:
      return { state: 'failed', reason: c.reason ?? c.status };
  }
}

/** A device's rollout state from its rollback command. */
export function rollbackState(c: CommandState): { state: DeviceRolloutState; reason: string | null } {
  if (c.status === 'succeeded') return { state: 'rolled-back', reason: null };
  if (c.status === 'issued' || c.status === 'accepted') return { state: 'rolling-back', reason: null };
  return { state: 'failed', reason: `rollback ${c.status}: ${c.reason ?? 'no reason given'}` };
}

/** What to do next with a rollout. */
export type RolloutStep =
  | { kind: 'wait' }
  | { kind: 'abort'; reason: string }
  | { kind: 'install'; deviceIds: string[] }
  | { kind: 'advance'; to: 'percent' | 'done' }
  | { kind: 'rollback'; deviceIds: string[] };

/**
 * The next step of a rollout, from its devices' states. Running: abort once `maxFailures` devices have
 * failed; otherwise send the install to the current stage's devices not yet sent, and move on when
 * every device of the stage has finished (healthy, or failed below the abort rule). Rolled back: send
 * the rollback to every device that took (or is taking) the install. Paused, aborted or completed: wait.
 */
export function nextStep(
  rollout: { status: RolloutStatus; stage: RolloutStage; maxFailures: number },
  devices: readonly PlannedDevice[],
): RolloutStep {
  if (rollout.status === 'rolled-back') {
    const ids = devices
      .filter(
        (d) => d.commandId && !d.rollbackCommandId && ['deferred', 'installing', 'healthy'].includes(d.state),
      )
      .map((d) => d.deviceId);
    return ids.length ? { kind: 'rollback', deviceIds: ids } : { kind: 'wait' };
  }
  if (rollout.status !== 'running' || rollout.stage === 'done') return { kind: 'wait' };
  const failed = devices.filter((d) => d.state === 'failed').length;
  if (failed >= rollout.maxFailures)
    return {
      kind: 'abort',
      reason: `${failed} device(s) failed, the abort rule allows ${rollout.maxFailures - 1}`,
    };
  const stage = devices.filter((d) => d.stage === rollout.stage);
  const unsent = stage.filter((d) => !d.commandId).map((d) => d.deviceId);
  if (unsent.length) return { kind: 'install', deviceIds: unsent };
  if (stage.every((d) => d.state === 'healthy' || d.state === 'failed'))
    return { kind: 'advance', to: rollout.stage === 'canary' ? 'percent' : 'done' };
  return { kind: 'wait' };
}

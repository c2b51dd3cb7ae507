import { randomUUID } from 'node:crypto';
import type { Logger } from '@gic/shared/logging/logger.js';
import type { DeviceCommand } from '@gic/shared/messages/commands.js';
import type { ModelInstall } from '@gic/shared/messages/model-install.js';
import { writeAudit } from '../audit/audit-log.js';
import type { Database } from '../db/database.js';
import type { CommandSender } from '../devices/command-sender.js';
import { insertCommand } from '../devices/commands-repo.js';
import type { ObjectStore } from '../storage/object-store.js';
import { findModel, modelFileKey } from './models-repo.js';
import { installState, nextStep, rollbackState } from './rollout-plan.js';
import {
  activeRollouts,
  type RolloutView,
  rolloutDevices,
  setDeviceCommand,
  setDeviceState,
  setRolloutStatus,
} from './rollouts-repo.js';

export interface RolloutDriverDeps {
  db: Database;
  store: ObjectStore;
  sender: CommandSender;
  log: Logger;
  /** How often rollouts are looked at (ms). */
  intervalMs?: number;
  /** How long an install command may wait to start, and its download URLs stay valid (s). */
  commandTtlSeconds?: number;
}

/**
 * Moves rollouts along (API role): every `intervalMs` it reads each active rollout's devices, takes
 * their states from what the boxes answered, and does the plan's next step (rollout-plan.ts): sends
 * installs, moves to the next stage, aborts, or sends rollbacks. Every step is in the audit log
 * (`rollout.*`, actor: the hub's `rollouts` service). One pass at a time.
 */
export class RolloutDriver {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly deps: RolloutDriverDeps) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.deps.intervalMs ?? 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass over every active rollout; never throws. */
  tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        for (const rollout of await activeRollouts(this.deps.db)) await this.advance(rollout);
      } catch (err) {
        this.deps.log.error({ err: (err as Error).message }, 'rollout pass failed');
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private audit(rollout: RolloutView, action: string, detail: Record<string, unknown>): Promise<void> {
    return writeAudit(this.deps.db, {
      actorKind: 'service',
      actorName: 'rollouts',
      action,
      objectType: 'rollout',
      objectId: rollout.id,
      outcome: 'ok',
      detail: { modelId: rollout.modelId, version: rollout.version, ...detail },
    });
  }

  private async advance(rollout: RolloutView): Promise<void> {
    const { db, log } = this.deps;
    const devices = await rolloutDevices(db, rollout.id);
    // Each device's state from its boxes' answers; a change is audited.
    for (const d of devices) {
      const next = d.rollback ? rollbackState(d.rollback) : d.install ? installState(d.install) : null;
      if (!next || (next.state === d.state && next.reason === d.reason)) continue;
      await setDeviceState(db, rollout.id, d.deviceId, next.state, next.reason);
      await this.audit(rollout, `rollout.device-${next.state}`, {
        deviceId: d.deviceId,
        ...(next.reason ? { reason: next.reason } : {}),
      });
      log.info({ rolloutId: rollout.id, deviceId: d.deviceId, ...next }, 'rollout device state');
      d.state = next.state;
      d.reason = next.reason;
    }
    const step = nextStep(rollout, devices);
    switch (step.kind) {
      case 'wait':
        return;
      case 'abort':
        if (await setRolloutStatus(db, rollout.id, ['running'], { status: 'aborted', reason: step.reason })) {
          await this.audit(rollout, 'rollout.abort', { reason: step.reason });
          log.warn({ rolloutId: rollout.id, reason: step.reason }, 'rollout aborted');
        }
        return;
      case 'advance': {
        const to =
          step.to === 'done'
            ? { status: 'completed' as const, stage: 'done' as const }
            : {
                status: 'running' as const,
                stage: 'percent' as const,
              };
        if (await setRolloutStatus(db, rollout.id, ['running'], to)) {
          await this.audit(rollout, step.to === 'done' ? 'rollout.complete' : 'rollout.stage', {
            stage: to.stage,
          });
          log.info({ rolloutId: rollout.id, ...to }, 'rollout moved on');
        }
        return;
      }
      case 'install':
      case 'rollback': {
        const model = await this.installPayload(rollout, step.kind);
        for (const deviceId of step.deviceIds) {
          const commandId = await this.send(deviceId, model);
          await setDeviceCommand(db, rollout.id, deviceId, step.kind, commandId);
          await this.audit(rollout, `rollout.${step.kind}-sent`, { deviceId, commandId });
        }
        return;
      }
    }
  }

  /** The command's model part: the manifest, and a presigned URL and SHA-256 for each file. */
  private async installPayload(rollout: RolloutView, action: 'install' | 'rollback'): Promise<ModelInstall> {
    const base = {
      action,
      modelId: rollout.modelId,
      version: rollout.version,
      maxLatencyMs: rollout.maxLatencyMs,
    };
    if (action === 'rollback') return { ...base, files: [] };
    const model = await findModel(this.deps.db, rollout.modelId, rollout.version);
    if (!model) throw new Error(`model ${rollout.modelId} ${rollout.version} is gone`);
    const expiresIn = this.deps.commandTtlSeconds ?? 3600;
    const files = [];
    for (const f of model.manifest.files)
      files.push({
        name: f.name,
        sha256: f.sha256,
        url: await this.deps.store.presignGet(modelFileKey(model.id, model.version, f.name), { expiresIn }),
      });
    return { ...base, manifest: model.manifest, files };
  }

  private async send(deviceId: string, model: ModelInstall): Promise<string> {
    const issuedAt = new Date();
    const command: DeviceCommand = {
      id: randomUUID(),
      kind: 'install-model',
      issuedAt: issuedAt.toISOString(),
      expiresAt: new Date(issuedAt.getTime() + (this.deps.commandTtlSeconds ?? 3600) * 1000).toISOString(),
      issuedBy: 'rollouts',
      model,
    };
    await insertCommand(this.deps.db, {
      ...command,
      deviceId,
      issuedAt,
      expiresAt: new Date(command.expiresAt),
      safeDuringProcedure: false,
      payload: model,
    });
    const sent = await this.deps.sender.send(deviceId, command);
    this.deps.log.info({ deviceId, commandId: command.id, action: model.action, sent }, 'install-model sent');
    return command.id;
  }
}

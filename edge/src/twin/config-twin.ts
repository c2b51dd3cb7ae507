import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import {
  desiredEdgeConfigSchema,
  desiredVariables,
  flattenEdgeConfig,
  keyVariables,
} from '@gic/shared/config/desired-edge-config.js';
import type { Logger } from '@gic/shared/logging/logger.js';
import type { CommandResult, ConfigReport, DeviceCommand } from '@gic/shared/messages/commands.js';
import type { AlertSettings } from '../alerts/alert-settings.js';
import { type EdgeConfig, loadEdgeConfig } from '../config.js';
import type { ProcedureRules } from '../procedures/procedure-controller.js';
import { splitDesiredConfig } from './config-split.js';
import type { DesiredConfigStore, StoredDesiredConfig } from './desired-config-store.js';
import { localSettingOrigins, localValue } from './local-settings.js';

export interface ConfigTwinDeps {
  store: DesiredConfigStore;
  /** The box's own environment (its file is named by GIC_EDGE_CONFIG): it wins over the hub. */
  env: Record<string, string | undefined>;
  /** The desired configuration the box was started with, if any (main.ts loads it below its own). */
  startedWith?: StoredDesiredConfig;
  procedureRunning: () => boolean;
  /** The room's default alert settings: read and replaced live. */
  alerts: { current: () => AlertSettings; set: (settings: AlertSettings) => void };
  /** The procedure rules: replaced only between procedures. */
  procedures: { current: () => ProcedureRules; set: (rules: ProcedureRules) => void };
  /** The capture pipeline's analysis and recording settings: rebuilt with new ones between procedures. */
  capture: {
    /** Undefined while no capture runs yet (it will start with the configuration loaded at start). */
    current: () => CaptureSettings | undefined;
    relayout: (settings: CaptureSettings, reason: string) => Promise<void>;
  };
  /** Sends an answer on `cmd/result` (QoS 1). */
  publish: (result: CommandResult) => void | Promise<void>;
  log: Logger;
  now?: () => Date;
}

/** What the capture pipeline is built with that the desired configuration may change. */
export interface CaptureSettings {
  analysis: { width: number; height: number; fps: number };
  recording: { segmentSeconds: number; width: number; height: number; fps: number };
}

const size = (s: { width: number; height: number }) => `${s.width}x${s.height}`;

/** The settings a configuration builds the capture with. */
function captureSettings(config: EdgeConfig): CaptureSettings {
  return {
    analysis: { ...config.analysisMaxSize, fps: config.analysisFps },
    recording: { ...config.recording },
  };
}

/** The value a key runs with, where the running parts tell it (alert defaults, procedure rules, capture). */
function runningValue(
  key: string,
  alerts: AlertSettings,
  rules: ProcedureRules,
  capture: CaptureSettings | undefined,
): unknown {
  switch (key) {
    case 'analysis.fps':
      return capture?.analysis.fps;
    case 'analysis.maxSize':
      return capture && size(capture.analysis);
    case 'recording.segmentSeconds':
      return capture?.recording.segmentSeconds;
    case 'recording.fps':
      return capture?.recording.fps;
    case 'recording.size':
      return capture && size(capture.recording);
    case 'alerts.sensitivity':
      return alerts.sensitivity;
    case 'alerts.minDurationMs':
      return alerts.minDurationMs;
    case 'alerts.cooldownMs':
      return alerts.cooldownMs;
    case 'procedures.auto':
      return rules.auto;
    case 'procedures.autoStartSeconds':
      return rules.autoStartMs / 1000;
    case 'procedures.autoEndSeconds':
      return rules.autoEndMs / 1000;
    case 'procedures.sourceLostEndSeconds':
      return rules.sourceLostEndMs / 1000;
    default:
      return undefined;
  }
}

/**
 * The box's side of the device twin. Takes the hub's `config` commands (each version once; an older
 * one is answered with the state of the newer one held), keeps the latest in SQLite, applies what
 * can be applied at once, holds what would disturb a procedure until it ends, leaves what only a
 * start can apply for the next start, and lets the box's own settings win. Reports on the command's
 * `cmd/result`: `accepted` while keys wait, `succeeded` once nothing does; again after each change.
 */
export class ConfigTwin {
  private deferred: string[] = [];
  private queue: Promise<void> = Promise.resolve();
  private readonly now: () => Date;

  constructor(private readonly deps: ConfigTwinDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Handles one `config` command; never throws. */
  async handle(command: DeviceCommand): Promise<void> {
    const { log, store } = this.deps;
    try {
      const config = command.config;
      const checked = desiredEdgeConfigSchema.safeParse(config?.values);
      if (!config || !checked.success) {
        const reason = checked.success
          ? 'no configuration'
          : checked.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`).join('; ');
        log.warn({ commandId: command.id, reason }, 'desired configuration refused');
        return await this.answer(command.id, 'failed', { reason: reason.slice(0, 500) });
      }
      const kept = store.save({
        version: config.version,
        commandId: command.id,
        values: checked.data,
        receivedAt: this.now().toISOString(),
      });
      log.info({ version: config.version, by: command.issuedBy, kept }, 'desired configuration received');
      await this.reconcile();
    } catch (err) {
      log.error({ commandId: command.id, err: (err as Error).message }, 'desired configuration not handled');
    }
  }

  /** A procedure ended: keys held for it take effect now, and the box says so. */
  async procedureEnded(): Promise<void> {
    if (this.deferred.length) await this.reconcile().catch(() => {});
  }

  /**
   * Brings the running box to the latest desired configuration as far as it may now, and reports.
   * Also at start, so the hub learns what a restart applied.
   */
  reconcile(): Promise<void> {
    // One at a time: a command and a procedure's end arriving together must not rebuild twice.
    const next = this.queue.then(() => this.reconcileNow());
    this.queue = next.catch((err: Error) =>
      this.deps.log.error({ err: err.message }, 'desired configuration not applied'),
    );
    return next;
  }

  private async reconcileNow(): Promise<void> {
    const { store, env, log } = this.deps;
    const held = store.latest();
    if (!held) return;
    let target: EdgeConfig;
    let local: Record<string, string>;
    try {
      target = loadEdgeConfig(
        env,
        desiredVariables(held.values, (p) => resolve(p)),
      );
      local = localSettingOrigins(env);
    } catch (err) {
      // The box's own settings and the desired ones do not fit together: nothing changes.
      const reason = (err as Error).message.slice(0, 500);
      log.warn({ version: held.version, reason }, 'desired configuration cannot apply');
      return this.answer(held.commandId, 'failed', { reason });
    }
    const desired = flattenEdgeConfig(held.values);
    const running = this.deps.procedureRunning();
    // The target already holds the box's own settings where they win; keys no longer desired go back.
    // Alert defaults change at once; the procedure rules and the capture only between procedures.
    if (!isDeepStrictEqual(this.deps.alerts.current(), target.alerts)) this.deps.alerts.set(target.alerts);
    if (!running && !isDeepStrictEqual(this.deps.procedures.current(), target.procedures))
      this.deps.procedures.set(target.procedures);
    const capture = this.deps.capture.current();
    if (!running && capture && !isDeepStrictEqual(capture, captureSettings(target))) {
      log.info({ version: held.version }, 'rebuilding the capture pipeline for the desired configuration');
      await this.deps.capture.relayout(
        captureSettings(target),
        `desired configuration version ${held.version}`,
      );
    }
    // Keys running as desired: those the box started with, and those whose running value is the desired.
    const before = this.deps.startedWith ? flattenEdgeConfig(this.deps.startedWith.values) : {};
    const alerts = this.deps.alerts.current();
    const rules = this.deps.procedures.current();
    const now = this.deps.capture.current();
    const current: Record<string, unknown> = {};
    const inEffect = new Set<string>();
    for (const key of Object.keys(desired)) {
      current[key] = runningValue(key, alerts, rules, now);
      if (
        current[key] !== undefined
          ? isDeepStrictEqual(current[key], desired[key])
          : isDeepStrictEqual(before[key], desired[key])
      )
        inEffect.add(key);
    }
    const split = splitDesiredConfig(Object.keys(desired), local, running, inEffect);
    this.deferred = split.deferred;
    const values: Record<string, unknown> = {};
    for (const key of Object.keys(desired)) {
      if (current[key] !== undefined) values[key] = current[key];
      else if (split.overridden.includes(key)) values[key] = localValue(env, keyVariables(key)) ?? null;
      else if (split.applyNow.includes(key)) values[key] = desired[key];
    }
    const report: ConfigReport = {
      version: held.version,
      applied: split.applyNow,
      deferred: split.deferred,
      overridden: split.overridden,
      overriddenBy: split.overriddenBy,
      restartRequired: split.restartRequired,
      values,
    };
    log.info({ ...report, values: undefined }, 'desired configuration applied as far as it may');
    const waiting = split.deferred.length + split.restartRequired.length;
    await this.answer(held.commandId, waiting ? 'accepted' : 'succeeded', {
      detail: report as unknown as Record<string, unknown>,
    });
  }

  private async answer(
    commandId: string,
    status: CommandResult['status'],
    extra: { reason?: string; detail?: Record<string, unknown> },
  ): Promise<void> {
    await this.deps.publish({ commandId, status, ...extra, at: this.now().toISOString() });
  }
}

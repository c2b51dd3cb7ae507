import type { Logger } from '@gic/shared/logging/logger.js';
import type { DeviceCommand } from '@gic/shared/messages/commands.js';
import type { ModelFolders } from '../models/model-folders.js';
import { checkModelHealth } from '../models/model-health.js';
import type { CommandProgress, CommandRunner } from './command-handler.js';

export interface InstallModelDeps {
  folders: ModelFolders;
  /** True while a procedure is in progress: a switch waits for it to end. */
  procedureRunning: () => boolean;
  /** Loads the running analyzers again from the models folder, once a new version passed its check. */
  reloadAnalyzers: () => Promise<void>;
  log: Logger;
  /** How often a deferred switch looks whether the procedure has ended (ms). */
  pollMs?: number;
  health?: typeof checkModelHealth;
}

/**
 * The `install-model` command: download the version into staging (every SHA-256 checked), wait until
 * no procedure runs, switch it in (the running version kept as the previous one), and check its
 * health beside the running analyzer. Healthy: the analyzers load it. Not: the previous version is
 * put back by itself and the command fails with why. `rollback` puts the kept version back, no
 * network. One install at a time on a box.
 */
export function installModelRunner(deps: InstallModelDeps): CommandRunner {
  const health = deps.health ?? checkModelHealth;
  const pollMs = deps.pollMs ?? 500;
  let queue: Promise<unknown> = Promise.resolve();

  const noProcedure = async (): Promise<number> => {
    const started = Date.now();
    while (deps.procedureRunning()) await new Promise((r) => setTimeout(r, pollMs));
    return Date.now() - started;
  };

  const run = async (command: DeviceCommand, progress: CommandProgress): Promise<Record<string, unknown>> => {
    const m = command.model;
    if (!m) throw new Error('an install-model command without its model');
    const { folders, log } = deps;
    const id = m.modelId;
    const t0 = Date.now();
    if (m.action === 'install') await folders.stage(m);
    else if ((await folders.version('previous', id)) === null)
      throw new Error(`no previous version of ${id} is kept on this box`);
    const deferredMs = await noProcedure();
    if (deferredMs > 0)
      log.info({ model: id, deferredMs }, 'model switch deferred until the procedure ended');
    await progress.begin();
    const replaced =
      m.action === 'install' ? await folders.switchIn(id) : await folders.version('current', id);
    const version = m.action === 'install' ? m.version : await folders.restorePrevious(id);
    const t1 = Date.now();
    const checked = await health(folders.modelsDir, id, version, m.maxLatencyMs, log);
    if (!checked.ok) {
      // A new version goes back to what ran before (or to nothing); a rollback to the version it left.
      const back =
        m.action === 'install'
          ? await folders.undoSwitchIn(id, { discard: true })
          : replaced === null
            ? null
            : await folders.restorePrevious(id);
      log.warn(
        { model: id, version, back, reason: checked.reason },
        'model unhealthy: rolled back by itself',
      );
      throw new Error(
        back !== null
          ? `${checked.reason}; rolled back to ${back}`
          : m.action === 'install'
            ? `${checked.reason}; no earlier version ran, so none runs now`
            : `${checked.reason}; no version ran before the rollback to go back to`,
      );
    }
    const t2 = Date.now();
    await deps.reloadAnalyzers();
    if (m.action === 'install') await folders.confirmSwitch(id);
    log.info({ model: id, version, replaced, latencyMs: checked.latencyMs }, 'model switched');
    return {
      action: m.action,
      modelId: id,
      version,
      previous: replaced,
      latencyMs: checked.latencyMs,
      executionProvider: checked.executionProvider,
      deferredMs,
      // Where the time went (ms): download and switch (with any deferral), health check, reload.
      stepsMs: { stageAndSwitch: t1 - t0, health: t2 - t1, reload: Date.now() - t2 },
    };
  };

  return (command, progress) => {
    const next = queue.then(() => run(command, progress));
    queue = next.catch(() => undefined);
    return next;
  };
}

import type { DeviceCredentials } from '@gic/provisioning/device-credentials.js';
import type { Logger } from '@gic/shared/logging/logger.js';
import type { DeviceCommand } from '@gic/shared/messages/commands.js';
import { ModelFolders } from '../models/model-folders.js';
import type { EdgeDatabase } from '../store/edge-database.js';
import type { HubClient } from '../sync/hub-client.js';
import type { OutboxPublisher } from '../sync/outbox-publisher.js';
import { collectLogs } from './collect-logs.js';
import { CommandHandler } from './command-handler.js';
import { CommandLedger } from './command-ledger.js';
import { installModelRunner } from './install-model.js';
import { restartCapture } from './restart-capture.js';
import { runSelfTest, type SelfTestDeps } from './self-test.js';

export interface RemoteCommandsDeps extends Omit<SelfTestDeps, 'db'> {
  db: EdgeDatabase;
  credentials: DeviceCredentials;
  publisher: OutboxPublisher;
  hubClient: HubClient;
  /** True while a procedure is in progress. */
  procedureRunning: () => boolean;
  /** Rebuilds the capture pipeline (CaptureSupervisor.restart). */
  restartCapture: (reason: string) => Promise<void>;
  /** The latest log lines the box holds ('' when none are kept). */
  logText: () => string;
  /** Where the models are (model installs switch versions there). */
  modelsDir: string;
  /** Loads the running analyzers again from the models folder (after a model switch). */
  reloadAnalyzers: () => Promise<void>;
  /** The running configuration (secrets are removed before it leaves the box). */
  config: unknown;
  log: Logger;
  /** Takes the hub's desired configuration (the device twin). */
  onConfig?: (command: DeviceCommand) => Promise<void>;
}

/**
 * The hub's remote commands on this box: subscribed on the publisher's connection, each answered on
 * `cmd/result`. Call before `publisher.start()` so the first connection subscribes.
 */
export function startRemoteCommands(deps: RemoteCommandsDeps): CommandHandler {
  const { deviceId } = deps.credentials;
  const handler = new CommandHandler({
    ledger: new CommandLedger(deps.db),
    publish: async (result) => deps.publisher.publishCommandResult(result),
    procedureRunning: deps.procedureRunning,
    log: deps.log,
    ...(deps.onConfig ? { onConfig: deps.onConfig } : {}),
    runners: {
      'self-test': (command) => runSelfTest(deps, command),
      'restart-capture': (command) =>
        restartCapture({ restart: deps.restartCapture, source: deps.source }, command),
      'install-model': installModelRunner({
        folders: new ModelFolders(deps.modelsDir),
        procedureRunning: deps.procedureRunning,
        reloadAnalyzers: deps.reloadAnalyzers,
        log: deps.log.child({ part: 'model-install' }),
      }),
      'collect-logs': (command) =>
        collectLogs(
          {
            logText: deps.logText,
            config: deps.config,
            upload: (c, body) =>
              deps.hubClient.request('POST', `/api/v1/devices/${deviceId}/commands/${c.id}/logs`, body),
          },
          command,
        ),
    },
  });
  deps.publisher.onCommand = (payload) => void handler.handle(payload);
  return handler;
}

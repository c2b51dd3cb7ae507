#!/usr/bin/env node
import { stdoutAnd } from '@gic/shared/logging/logger.js';
import { runMain } from '@gic/shared/process/run-main.js';
import { RecentLog } from './commands/recent-log.js';
import { loadEdgeConfig } from './config.js';
import { startEdge } from './edge-process.js';

// The latest log lines, kept in memory for a remote collect-logs command.
const recentLog = new RecentLog();
await runMain({
  name: 'gic-edge',
  loadConfig: () => loadEdgeConfig(),
  start: (config, log) => startEdge(config, log, { recentLog }),
  logDestination: stdoutAnd(recentLog),
});

#!/usr/bin/env node
import { stdoutAnd } from '@gic/shared/logging/logger.js';
import { runMain } from '@gic/shared/process/run-main.js';
import { RecentLog } from './commands/recent-log.js';
import { startEdge } from './edge-process.js';
import { loadWithDesiredConfig } from './twin/load-with-desired.js';

// The latest log lines, kept in memory for a remote collect-logs command.
const recentLog = new RecentLog();
await runMain({
  name: 'gic-edge',
  loadConfig: () => loadWithDesiredConfig(process.env),
  start: ({ startedWith, ...config }, log) =>
    startEdge(config, log, { recentLog, ...(startedWith ? { startedWith } : {}) }),
  logDestination: stdoutAnd(recentLog),
});

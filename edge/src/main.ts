#!/usr/bin/env node
import { runMain } from '@gic/shared/process/run-main.js';
import { loadEdgeConfig } from './config.js';
import { startEdge } from './edge-process.js';

await runMain({ name: 'gic-edge', loadConfig: () => loadEdgeConfig(), start: startEdge });

#!/usr/bin/env node
import { runMain } from '@gic/shared/process/run-main.js';
import { loadHubConfig } from './config.js';
import { startHub } from './hub-process.js';

await runMain({ name: 'gic-hub', loadConfig: () => loadHubConfig(), start: startHub });

import { randomUUID } from 'node:crypto';
import { createLogger } from '@gic/shared/logging/logger.js';
import type { CommandResult, ConfigReport, DeviceCommand } from '@gic/shared/messages/commands.js';
import { describe, expect, it } from 'vitest';
import type { AlertSettings } from '../alerts/alert-settings.js';
import { loadEdgeConfig } from '../config.js';
import type { ProcedureRules } from '../procedures/procedure-controller.js';
import { openEdgeDatabase } from '../store/edge-database.js';
import { ConfigTwin } from './config-twin.js';
import { DesiredConfigStore } from './desired-config-store.js';

const ENV = { GIC_ALERT_COOLDOWN_MS: '500' };

function box() {
  const db = openEdgeDatabase(':memory:');
  const own = loadEdgeConfig(ENV);
  const state = {
    alerts: own.alerts as AlertSettings,
    rules: own.procedures as ProcedureRules,
    running: false,
    capture: { analysis: { ...own.analysisMaxSize, fps: own.analysisFps }, recording: { ...own.recording } },
    rebuilt: [] as string[],
  };
  const results: CommandResult[] = [];
  const twin = new ConfigTwin({
    store: new DesiredConfigStore(db),
    env: ENV,
    procedureRunning: () => state.running,
    alerts: { current: () => state.alerts, set: (s) => (state.alerts = s) },
    procedures: { current: () => state.rules, set: (r) => (state.rules = r) },
    capture: {
      current: () => state.capture,
      relayout: async (settings, reason) => {
        state.capture = settings;
        state.rebuilt.push(reason);
      },
    },
    publish: (r) => void results.push(r),
    log: createLogger('twin-test', 'silent'),
  });
  return { db, state, results, twin, last: () => results.at(-1)! };
}

const command = (version: number, values: Record<string, unknown>): DeviceCommand => ({
  id: randomUUID(),
  kind: 'config',
  issuedAt: new Date().toISOString(),
  expiresAt: new Date(Date.now() + 60_000).toISOString(),
  safeDuringProcedure: true,
  issuedBy: 'admin',
  config: { version, values },
});

describe('the box’s device twin', () => {
  it('applies alert defaults at once, holds the procedure rules and the capture until the procedure ends, lets its own setting win', async () => {
    const b = box();
    b.state.running = true;
    const c = command(1, {
      alerts: { sensitivity: 0.8, cooldownMs: 2000 },
      procedures: { autoEndSeconds: 45 },
      recording: { fps: 25 },
      upload: { parallelParts: 2 },
    });
    await b.twin.handle(c);
    expect(b.state.alerts.sensitivity).toBe(0.8);
    expect(b.state.alerts.cooldownMs).toBe(500);
    expect(b.state.rules.autoEndMs).toBe(30_000);
    expect(b.state.rebuilt).toEqual([]);
    expect(b.last()).toMatchObject({ commandId: c.id, status: 'accepted' });
    expect(b.last().detail as ConfigReport).toEqual({
      version: 1,
      applied: ['alerts.sensitivity'],
      deferred: ['procedures.autoEndSeconds', 'recording.fps'],
      overridden: ['alerts.cooldownMs'],
      overriddenBy: { 'alerts.cooldownMs': 'environment variable GIC_ALERT_COOLDOWN_MS' },
      restartRequired: ['upload.parallelParts'],
      values: {
        'alerts.sensitivity': 0.8,
        'alerts.cooldownMs': 500,
        'procedures.autoEndSeconds': 30,
        'recording.fps': 30,
      },
    });

    b.state.running = false;
    await b.twin.procedureEnded();
    expect(b.state.rules.autoEndMs).toBe(45_000);
    expect(b.state.capture.recording.fps).toBe(25);
    expect(b.state.rebuilt).toEqual(['desired configuration version 1']);
    const second = b.last().detail as ConfigReport;
    expect(second.deferred).toEqual([]);
    expect(second.applied).toEqual(['alerts.sensitivity', 'procedures.autoEndSeconds', 'recording.fps']);
    expect(second.values).toMatchObject({ 'procedures.autoEndSeconds': 45, 'recording.fps': 25 });
    // Still accepted: upload.parallelParts takes effect only at the next start, and the report says so.
    expect(b.last().status).toBe('accepted');
    expect(second.restartRequired).toEqual(['upload.parallelParts']);
    // Taken again (the hub resends it) during the next procedure: nothing is rebuilt, nothing waits.
    b.state.running = true;
    await b.twin.handle(c);
    expect(b.state.rebuilt).toHaveLength(1);
    expect((b.last().detail as ConfigReport).deferred).toEqual([]);
  });

  it('keeps only the newest version, and a key dropped from the desired configuration goes back', async () => {
    const b = box();
    await b.twin.handle(command(2, { alerts: { sensitivity: 0.9 } }));
    await b.twin.handle(command(1, { alerts: { sensitivity: 0.1 } }));
    expect(b.state.alerts.sensitivity).toBe(0.9);
    expect((b.last().detail as ConfigReport).version).toBe(2);
    expect(b.last().status).toBe('succeeded');
    await b.twin.handle(command(3, { procedures: { autoStartSeconds: 5 } }));
    expect(b.state.alerts.sensitivity).toBe(0.6);
    expect(b.state.rules.autoStartMs).toBe(5000);
    expect(new DesiredConfigStore(b.db).latest()).toMatchObject({ version: 3 });
  });

  it('refuses a configuration the box’s own schema refuses, with the key', async () => {
    const b = box();
    const c = command(1, { alerts: { sensitivity: 7 } });
    await b.twin.handle(c);
    expect(b.last()).toMatchObject({ commandId: c.id, status: 'failed' });
    expect(b.last().reason).toMatch(/alerts\.sensitivity/);
    expect(new DesiredConfigStore(b.db).latest()).toBeUndefined();
  });
});

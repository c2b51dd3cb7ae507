import { randomUUID } from 'node:crypto';
import { createLogger } from '@gic/shared/logging/logger.js';
import type { CommandResult, DeviceCommand } from '@gic/shared/messages/commands.js';
import { describe, expect, it } from 'vitest';
import { openEdgeDatabase } from '../store/edge-database.js';
import { withoutSecrets } from './collect-logs.js';
import { decideCommand, PROCEDURE_IN_PROGRESS } from './command-decision.js';
import { CommandHandler, type CommandHandlerDeps, type CommandProgress } from './command-handler.js';
import { CommandLedger } from './command-ledger.js';

const NOW = new Date('2026-12-03T04:00:00.000Z');
const command = (over: Partial<DeviceCommand> = {}): DeviceCommand => ({
  id: randomUUID(),
  kind: 'self-test',
  issuedAt: '2026-12-03T03:59:59.000Z',
  expiresAt: '2026-12-03T04:05:00.000Z',
  issuedBy: 'admin',
  ...over,
});

describe('what a box does with a command', () => {
  it('expires one past its expiry, refuses an unsafe one during a procedure, runs the rest', () => {
    expect(decideCommand(command({ expiresAt: NOW.toISOString() }), NOW, false)).toEqual({
      action: 'expired',
    });
    expect(decideCommand(command({ kind: 'restart-capture' }), NOW, true)).toEqual({
      action: 'refuse',
      reason: PROCEDURE_IN_PROGRESS,
    });
    expect(decideCommand(command({ safeDuringProcedure: true }), NOW, true)).toEqual({ action: 'run' });
    expect(decideCommand(command(), NOW, false)).toEqual({ action: 'run' });
  });
});

/** A model rollback: a model command that needs no download. */
const model = {
  action: 'rollback' as const,
  modelId: 'tiny-polyp',
  version: '2.0.0',
  files: [],
  maxLatencyMs: 100,
};

describe('the command handler', () => {
  const setUp = (procedure = false) => {
    const db = openEdgeDatabase(':memory:');
    const results: CommandResult[] = [];
    let runs = 0;
    let fail = false;
    const handler = new CommandHandler({
      ledger: new CommandLedger(db),
      publish: async (r) => {
        results.push(r);
      },
      procedureRunning: () => procedure,
      log: createLogger('test', 'silent'),
      now: () => NOW,
      runners: {
        'self-test': async () => {
          runs++;
          if (fail) throw new Error('the store is read-only');
          return { ok: true };
        },
        'restart-capture': async () => ({ restarted: true }),
        'collect-logs': async () => ({}),
        'install-model': async (_c, progress) => {
          await progress.begin();
          return { version: '2.0.0' };
        },
      },
    });
    return { db, results, handler, runs: () => runs, failNext: () => (fail = true) };
  };
  /** A new handler on the same SQLite store, as the box has after a restart; its answers join `t`'s. */
  const restarted = (t: ReturnType<typeof setUp>, over: Partial<CommandHandlerDeps> = {}) =>
    new CommandHandler({
      ledger: new CommandLedger(t.db),
      publish: async (r) => {
        t.results.push(r);
      },
      procedureRunning: () => false,
      log: createLogger('test', 'silent'),
      runners: {} as never,
      ...over,
    });

  it('answers accepted then succeeded with the detail, and runs a redelivered command only once', async () => {
    const t = setUp();
    const c = command();
    await t.handler.handle(JSON.stringify(c));
    await t.handler.handle(Buffer.from(JSON.stringify(c)));
    expect(t.runs()).toBe(1);
    expect(t.results.map((r) => r.status)).toEqual(['accepted', 'succeeded', 'succeeded']);
    expect(t.results[1]).toMatchObject({ commandId: c.id, detail: { ok: true } });
  });

  it('remembers ids in SQLite: a new handler on the same store does not run it again', async () => {
    const t = setUp();
    const c = command();
    await t.handler.handle(JSON.stringify(c));
    const again = restarted(t);
    await again.handle(JSON.stringify(c));
    expect(t.runs()).toBe(1);
    expect(t.results.at(-1)?.status).toBe('succeeded');
  });

  it('answers failed, not expired, a command cut short by a restart and sent again after its expiry', async () => {
    const t = setUp();
    const c = command({
      kind: 'install-model',
      model,
    });
    // The box took it and died before it finished: only `accepted` is in its store.
    new CommandLedger(t.db).claim(c.id, c.kind, NOW);
    new CommandLedger(t.db).record({ commandId: c.id, status: 'accepted', at: NOW.toISOString() });
    const later = restarted(t, {
      procedureRunning: () => true,
      now: () => new Date(Date.parse(c.expiresAt) + 3_600_000),
    });
    await later.handle(JSON.stringify(c));
    expect(t.results.map((r) => [r.status, r.reason])).toEqual([
      ['failed', 'interrupted: the box restarted while it ran'],
    ]);
    expect(t.runs()).toBe(0);
  });

  it('refuses during a procedure with the reason, expires a late one, and reports a failure', async () => {
    const t = setUp(true);
    await t.handler.handle(JSON.stringify(command({ kind: 'restart-capture' })));
    await t.handler.handle(JSON.stringify(command({ expiresAt: '2026-12-03T04:00:00.000Z' })));
    t.failNext();
    await t.handler.handle(JSON.stringify(command({ safeDuringProcedure: true })));
    expect(t.results.map((r) => [r.status, r.reason])).toEqual([
      ['refused', PROCEDURE_IN_PROGRESS],
      ['expired', 'the command expired before it could start'],
      ['accepted', undefined],
      ['failed', 'the store is read-only'],
    ]);
    expect(t.runs()).toBe(1);
  });

  it('takes a model install during a procedure as deferred (it switches when the procedure ends)', async () => {
    const t = setUp(true);
    await t.handler.handle(JSON.stringify(command({ kind: 'install-model', model })));
    expect(t.results.map((r) => [r.status, r.reason, r.detail])).toEqual([
      ['accepted', `${PROCEDURE_IN_PROGRESS}: done when it ends`, { deferred: true }],
      ['accepted', undefined, { started: true }],
      ['succeeded', undefined, { version: '2.0.0' }],
    ]);
    // An install without its model, or a model with another kind, is malformed: dropped.
    await t.handler.handle(JSON.stringify(command({ kind: 'install-model' })));
    await t.handler.handle(JSON.stringify(command({ model })));
    expect(t.results).toHaveLength(3);
    // Not deferred: one `accepted`, however the runner reports its start.
    const quiet = setUp(false);
    await quiet.handler.handle(JSON.stringify(command({ kind: 'install-model', model })));
    expect(quiet.results.map((r) => r.status)).toEqual(['accepted', 'succeeded']);
  });

  it('after a restart, waits again for an install still deferred; one whose switch had begun is failed', async () => {
    const t = setUp();
    const ledger = new CommandLedger(t.db);
    // Two installs taken during a procedure; the box stopped while the first still waited for its end
    // and after the second's switch had begun.
    const waiting = command({ kind: 'install-model', model });
    const begun = command({ kind: 'install-model', model });
    for (const c of [waiting, begun]) {
      ledger.claim(c.id, c.kind, NOW);
      ledger.record({
        commandId: c.id,
        status: 'accepted',
        reason: 'procedure in progress',
        detail: { deferred: true },
        at: NOW.toISOString(),
      });
    }
    ledger.record({
      commandId: begun.id,
      status: 'accepted',
      detail: { started: true },
      at: NOW.toISOString(),
    });
    let runs = 0;
    const again = restarted(t, {
      // Sent again by the hub on reconnection, after their expiry.
      now: () => new Date(Date.parse(waiting.expiresAt) + 3_600_000),
      runners: {
        'install-model': async (_c: DeviceCommand, progress: CommandProgress) => {
          runs++;
          await progress.begin();
          return { version: '2.0.0' };
        },
      } as never,
    });
    await again.handle(JSON.stringify(waiting));
    await again.handle(JSON.stringify(begun));
    expect(t.results.map((r) => [r.commandId, r.status, r.detail ?? r.reason])).toEqual([
      [waiting.id, 'accepted', { started: true }],
      [waiting.id, 'succeeded', { version: '2.0.0' }],
      [begun.id, 'failed', 'interrupted: the box restarted while it ran'],
    ]);
    expect(runs).toBe(1);
    // Once done, a further repeat is answered from the store, not run.
    await again.handle(JSON.stringify(waiting));
    expect(t.results.at(-1)).toMatchObject({ commandId: waiting.id, status: 'succeeded' });
    expect(runs).toBe(1);
  });

  it('logs and drops a bad payload without answering or throwing', async () => {
    const t = setUp();
    await t.handler.handle('{nope');
    await t.handler.handle(JSON.stringify({ ...command(), kind: 'reboot' }));
    expect(t.results).toEqual([]);
  });

  it('sends no secrets with the configuration', () => {
    expect(
      withoutSecrets({
        hubUrl: 'http://h',
        enrolmentToken: 't',
        vlm: { apiKey: 'k', model: 'm' },
        list: [{ password: 'p' }],
      }),
    ).toEqual({
      hubUrl: 'http://h',
      enrolmentToken: '[removed]',
      vlm: { apiKey: '[removed]', model: 'm' },
      list: [{ password: '[removed]' }],
    });
  });
});

describe('a command delivered twice at once', () => {
  it('runs once, and the repeat does not read it as cut short', async () => {
    const db = openEdgeDatabase(':memory:');
    const results: CommandResult[] = [];
    let runs = 0;
    const handler = new CommandHandler({
      ledger: new CommandLedger(db),
      publish: async (r) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        results.push(r);
      },
      procedureRunning: () => false,
      log: createLogger('test', 'silent'),
      runners: {
        'self-test': async () => {
          runs++;
          await new Promise((resolve) => setTimeout(resolve, 50));
          return { ok: true };
        },
        'restart-capture': async () => ({}),
        'collect-logs': async () => ({}),
        'install-model': async () => ({}),
      },
    });
    const c = JSON.stringify({ ...command(), expiresAt: new Date(Date.now() + 60_000).toISOString() });
    await Promise.all([
      handler.handle(c),
      new Promise((r) => setTimeout(r, 1)).then(() => handler.handle(c)),
    ]);
    expect(runs).toBe(1);
    expect(results.map((r) => r.status)).not.toContain('failed');
    expect(results.at(-1)?.status).toBe('succeeded');
  });
});

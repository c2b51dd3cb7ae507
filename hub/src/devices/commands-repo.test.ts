import { randomUUID } from 'node:crypto';
import { createLogger } from '@gic/shared/logging/logger.js';
import type { CommandResult } from '@gic/shared/messages/commands.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/test-database.js';
import type { Database } from '../db/database.js';
import { IngestService } from '../ingest/ingest-service.js';
import { insertCommand, listCommands, unansweredCommands } from './commands-repo.js';

const device = 'edge-cmd111';
const other = 'edge-cmd222';

describe('device commands (against PostgreSQL, through the ingest)', () => {
  let db: Database;
  let ingest: IngestService;
  const result = (commandId: string, status: CommandResult['status'], extra: Partial<CommandResult> = {}) =>
    JSON.stringify({ commandId, status, at: new Date().toISOString(), ...extra });
  const answer = (deviceId: string, payload: string) =>
    ingest.handle(`gic/v1/d/${deviceId}/cmd/result`, Buffer.from(payload));
  const issue = (deviceId = device, ttlMs = 60_000) =>
    insertCommand(db, {
      id: randomUUID(),
      deviceId,
      kind: 'self-test',
      issuedBy: 'admin',
      issuedAt: new Date(),
      expiresAt: new Date(Date.now() + ttlMs),
      safeDuringProcedure: false,
    });
  const statusOf = async (id: string) => (await listCommands(db, device)).find((c) => c.id === id)!;

  beforeAll(async () => {
    ({ db } = await createTestDatabase());
    for (const id of [device, other])
      await db.query("INSERT INTO devices (id, name, public_jwk) VALUES ($1, 'room', '{}')", [id]);
    ingest = new IngestService(db, new Uint8Array(32), 'mqtt://unused', createLogger('test', 'silent'));
  });
  afterAll(() => db.end());

  it('moves a command forward only: a late accepted or a repeat changes nothing', async () => {
    const c = await issue();
    expect(c.status).toBe('issued');
    await answer(device, result(c.id, 'accepted'));
    expect((await statusOf(c.id)).status).toBe('accepted');
    await answer(device, result(c.id, 'succeeded', { detail: { ok: true } }));
    await answer(device, result(c.id, 'accepted'));
    await answer(device, result(c.id, 'failed', { reason: 'late' }));
    expect(await statusOf(c.id)).toMatchObject({ status: 'succeeded', reason: null, detail: { ok: true } });
    expect(await unansweredCommands(db, device)).toEqual([]);
  });

  it('takes a deferred command’s start after its deferral, once, and never back to deferred', async () => {
    const c = await issue();
    const deferred = { reason: 'procedure in progress: done when it ends', detail: { deferred: true } };
    await answer(device, result(c.id, 'accepted', deferred));
    await answer(device, result(c.id, 'accepted', { detail: { started: true } }));
    expect(await statusOf(c.id)).toMatchObject({
      status: 'accepted',
      detail: { deferred: true, started: true },
    });
    // The deferral redelivered late does not undo the start (its reason would show it waiting again).
    await answer(device, result(c.id, 'accepted', deferred));
    expect(await statusOf(c.id)).toMatchObject({ status: 'accepted', reason: null });
    await answer(device, result(c.id, 'succeeded', { detail: { version: '2' } }));
    await answer(device, result(c.id, 'accepted', { detail: { started: true } }));
    expect(await statusOf(c.id)).toMatchObject({
      status: 'succeeded',
      detail: { deferred: true, started: true, version: '2' },
    });
  });

  it('sends again at reconnection what has no final answer: unexpired unanswered ones, and accepted ones past their expiry', async () => {
    // Its own box (a time-based id once met edge-cmd111 or edge-cmd222 above, 2 runs in 1000).
    const box = 'edge-cmd333';
    await db.query("INSERT INTO devices (id, name, public_jwk) VALUES ($1, 'room', '{}')", [box]);
    const issued = await issue(box);
    const running = await issue(box, 300);
    await answer(box, result(running.id, 'accepted', { detail: { deferred: true } }));
    const done = await issue(box);
    await answer(box, result(done.id, 'accepted'));
    await answer(box, result(done.id, 'succeeded'));
    const lapsed = await issue(box, 300);
    await new Promise((r) => setTimeout(r, 400));
    // The accepted one is past its expiry and still sent; the unanswered one past its expiry is not.
    expect((await unansweredCommands(db, box)).map((c) => c.id).sort()).toEqual(
      [issued.id, running.id].sort(),
    );
    expect((await listCommands(db, box)).find((c) => c.id === lapsed.id)!.status).toBe('expired');
    // The box's answer after a restart moves it on, and it is sent no more.
    await answer(
      box,
      result(running.id, 'failed', { reason: 'interrupted: the box restarted while it ran' }),
    );
    expect((await unansweredCommands(db, box)).map((c) => c.id)).toEqual([issued.id]);
  });

  it('ignores a result for an unknown command, for another device’s command, and a malformed one', async () => {
    const c = await issue(other);
    await answer(device, result(c.id, 'succeeded'));
    await answer(device, result(randomUUID(), 'succeeded'));
    await answer(device, '{"commandId": 1}');
    await answer(device, 'not json');
    expect((await listCommands(db, other))[0]).toMatchObject({ id: c.id, status: 'issued' });
  });

  it('shows expired a command not answered by its expiry, and keeps the answer of one that was', async () => {
    const silent = await issue(device, 50);
    const answered = await issue(device, 50);
    await answer(device, result(answered.id, 'refused', { reason: 'procedure in progress' }));
    await new Promise((r) => setTimeout(r, 100));
    expect(await statusOf(silent.id)).toMatchObject({
      status: 'expired',
      reason: 'the device did not answer before the expiry',
    });
    expect(await statusOf(answered.id)).toMatchObject({ status: 'refused', reason: 'procedure in progress' });
    expect((await unansweredCommands(db, device)).map((c) => c.id)).not.toContain(silent.id);
  });
});

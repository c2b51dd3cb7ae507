import type { DeviceEvent } from '@gic/shared/messages/events.js';
import { describe, expect, it } from 'vitest';
import { ProcedureLog } from '../live/procedure-log.js';
import type { NewEvent } from '../outbox/outbox.js';
import { SqliteOutbox } from '../outbox/sqlite-outbox.js';
import { openEdgeDatabase } from '../store/edge-database.js';
import { ChatLog, ChatSessionConflict } from './chat-log.js';

const sessionId = '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f';

function setUp() {
  const db = openEdgeDatabase(':memory:');
  const outbox = new SqliteOutbox(db);
  const procedureId = new ProcedureLog(db, outbox).start({ kind: 'test' }, 'test pattern', {
    trigger: 'operator',
    operator: null,
  }).id;
  outbox.confirm(outbox.due(10, new Date()).map((e) => e.id)); // the start event is not under test
  const count = (table: string) =>
    (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  const lastSeq = () => (db.prepare('SELECT last_seq AS n FROM event_sequence').get() as { n: number }).n;
  return { db, outbox, procedureId, count, lastSeq };
}

describe('ChatLog', () => {
  it('stores a message and queues its chat.message event in one transaction', () => {
    const { db, outbox, procedureId } = setUp();
    const chat = new ChatLog(db, outbox);
    const message = chat.record({
      sessionId,
      procedureId,
      role: 'user',
      text: 'Why this prep?',
      by: 'nurse.k',
    });
    const [entry, ...rest] = outbox.due(10, new Date());
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({ type: 'chat.message', procedureId, priority: 0 });
    const { procedureId: _, ...body } = message;
    expect(JSON.parse(entry!.payload)).toMatchObject({ type: 'chat.message', procedureId, body });
    expect(chat.history(sessionId)).toEqual([message]);
  });

  it('keeps neither the message nor its event when either write fails', () => {
    const { db, outbox, procedureId, count, lastSeq } = setUp();
    const seq = lastSeq();
    // The outbox fails after writing its row (a full disk, say): the message row goes with it.
    class FailingOutbox extends SqliteOutbox {
      override append(event: NewEvent): DeviceEvent {
        super.append(event);
        throw new Error('disk I/O error');
      }
    }
    const failing = new ChatLog(db, new FailingOutbox(db));
    expect(() => failing.record({ sessionId, procedureId, role: 'user', text: 'a' })).toThrow(
      'disk I/O error',
    );
    // The message refuses (a procedure this store never had): no event is queued.
    const chat = new ChatLog(db, outbox);
    expect(() =>
      chat.record({
        sessionId,
        procedureId: '00000000-0000-4000-8000-000000000000',
        role: 'user',
        text: 'a',
      }),
    ).toThrow(/FOREIGN KEY/);
    expect([count('chat_messages'), count('outbox'), lastSeq()]).toEqual([0, 0, seq]);
  });

  it('returns a session in the order it was written, and keeps each session to its procedure', () => {
    const { db, outbox, procedureId } = setUp();
    const chat = new ChatLog(db, outbox);
    const texts = ['first', 'second', 'third', 'fourth'];
    for (const [i, text] of texts.entries())
      chat.record({ sessionId, procedureId, role: i % 2 ? 'assistant' : 'user', text });
    expect(chat.history(sessionId).map((m) => [m.role, m.text])).toEqual([
      ['user', 'first'],
      ['assistant', 'second'],
      ['user', 'third'],
      ['assistant', 'fourth'],
    ]);
    expect(chat.procedureOf(sessionId)).toBe(procedureId);
    expect(chat.history('9a4e1c2b-5d6f-4a7b-8c9d-0e1f2a3b4c5d')).toEqual([]);

    const other = new ProcedureLog(db, outbox).start({ kind: 'test' }, 'test pattern', {
      trigger: 'operator',
      operator: null,
    }).id;
    expect(() => chat.record({ sessionId, procedureId: other, role: 'user', text: 'x' })).toThrow(
      ChatSessionConflict,
    );
    expect(chat.history(sessionId)).toHaveLength(4);
  });
});

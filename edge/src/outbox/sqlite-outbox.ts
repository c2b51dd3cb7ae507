import type { DeviceEvent } from '@gic/shared/messages/events.js';
import type { EdgeDatabase } from '../store/edge-database.js';
import { type NewEvent, type Outbox, type OutboxEntry, toOutboxEntry } from './outbox.js';

/** The outbox in the edge's SQLite store, so it shares transactions with the data it reports. */
export class SqliteOutbox implements Outbox {
  private readonly nextSeq;
  private readonly insert;
  private readonly selectUnsent;
  private readonly selectStale;
  private readonly sent;
  private readonly remove;
  private readonly count;

  constructor(private readonly db: EdgeDatabase) {
    this.nextSeq = db.prepare(
      'UPDATE event_sequence SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq',
    );
    this.insert = db.prepare(
      `INSERT INTO outbox (seq, id, type, procedure_id, priority, payload, created_at)
       VALUES (@seq, @id, @type, @procedureId, @priority, @payload, @createdAt)`,
    );
    // Two reads, each on its own partial index (migration 015), merged in sending order: one query
    // with `IS NULL OR <` walks outbox_order past every event sent and not yet confirmed.
    const columns = 'seq, id, type, procedure_id AS procedureId, priority, payload, attempts';
    this.selectUnsent = db.prepare(
      `SELECT ${columns} FROM outbox INDEXED BY outbox_unsent
        WHERE last_sent_at IS NULL ORDER BY priority, seq LIMIT ?`,
    );
    this.selectStale = db.prepare(
      `SELECT ${columns} FROM outbox INDEXED BY outbox_sent
        WHERE last_sent_at IS NOT NULL AND last_sent_at < ? ORDER BY priority, seq LIMIT ?`,
    );
    this.sent = db.prepare('UPDATE outbox SET last_sent_at = ?, attempts = attempts + 1 WHERE seq = ?');
    this.remove = db.prepare('DELETE FROM outbox WHERE id = ?');
    this.count = db.prepare('SELECT count(*) AS n FROM outbox');
  }

  append(event: NewEvent): DeviceEvent {
    const { last_seq: seq } = this.nextSeq.get() as { last_seq: number };
    const { event: full, entry } = toOutboxEntry(event, seq);
    const { attempts: _, ...row } = entry;
    this.insert.run({ ...row, createdAt: full.ts });
    return full;
  }

  due(limit: number, resendBefore: Date): OutboxEntry[] {
    const unsent = this.selectUnsent.all(limit) as OutboxEntry[];
    const stale = this.selectStale.all(resendBefore.toISOString(), limit) as OutboxEntry[];
    if (stale.length === 0) return unsent;
    return [...stale, ...unsent].sort((a, b) => a.priority - b.priority || a.seq - b.seq).slice(0, limit);
  }

  markSent(seqs: number[], at: Date): void {
    const when = at.toISOString();
    this.withoutFlush(() => {
      for (const seq of seqs) this.sent.run(when, seq);
    });
  }

  confirm(ids: string[]): number {
    return this.withoutFlush(() => ids.reduce((n, id) => n + this.remove.run(id).changes, 0));
  }

  /**
   * Runs `write` in a transaction that is not flushed to disk at its commit (synchronous NORMAL; the
   * next flushed commit carries it). For what the outbox may lose on a power cut at no cost but a
   * resend the hub takes as a duplicate: a send time (the event goes again) and the deletion of a
   * confirmed event (it goes again, and is confirmed again). The events themselves are appended in
   * the caller's flushed transactions. During a drain these commits came every 100 events, each
   * waiting for its flush (about 2 ms here: a fifth of the time to hand a backlog over).
   */
  private withoutFlush<T>(write: () => T): T {
    if (this.db.inTransaction) return write();
    const level = this.db.pragma('synchronous', { simple: true }) as number;
    this.db.pragma('synchronous = NORMAL');
    try {
      return this.db.transaction(write)();
    } finally {
      this.db.pragma(`synchronous = ${level}`);
    }
  }

  size(): number {
    return (this.count.get() as { n: number }).n;
  }
}

import { randomUUID } from 'node:crypto';
import type { DeviceEvent } from '@gic/shared/messages/events.js';
import { type NewEvent, type Outbox, type OutboxEntry, priorityOf } from './outbox.js';

/**
 * The outbox in memory: for unit tests of the publisher and for tools that need no durability. It
 * passes the same contract tests as the SQLite outbox, except surviving a restart.
 */
export class MemoryOutbox implements Outbox {
  private lastSeq = 0;
  private readonly entries = new Map<number, OutboxEntry & { lastSentAt: number | null }>();

  append(event: NewEvent): DeviceEvent {
    const seq = ++this.lastSeq;
    const full = { id: randomUUID(), seq, ts: new Date().toISOString(), ...event } as DeviceEvent;
    this.entries.set(seq, {
      seq,
      id: full.id,
      type: full.type,
      procedureId: full.procedureId,
      priority: priorityOf(full.type),
      payload: JSON.stringify(full),
      attempts: 0,
      lastSentAt: null,
    });
    return full;
  }

  due(limit: number, resendBefore: Date): OutboxEntry[] {
    const cutoff = resendBefore.getTime();
    return [...this.entries.values()]
      .filter((e) => e.lastSentAt === null || e.lastSentAt < cutoff)
      .sort((a, b) => a.priority - b.priority || a.seq - b.seq)
      .slice(0, limit)
      .map(({ lastSentAt: _, ...entry }) => ({ ...entry }));
  }

  markSent(seqs: number[], at: Date): void {
    for (const seq of seqs) {
      const entry = this.entries.get(seq);
      if (entry) {
        entry.lastSentAt = at.getTime();
        entry.attempts++;
      }
    }
  }

  confirm(ids: string[]): number {
    const wanted = new Set(ids);
    let removed = 0;
    for (const [seq, entry] of this.entries) {
      if (wanted.has(entry.id)) {
        this.entries.delete(seq);
        removed++;
      }
    }
    return removed;
  }

  size(): number {
    return this.entries.size;
  }
}

import type { DeviceEvent } from '@gic/shared/messages/events.js';
import { type NewEvent, type Outbox, type OutboxEntry, toOutboxEntry } from './outbox.js';

/**
 * The outbox in memory: for unit tests of the publisher and for tools that need no durability. It
 * passes the same contract tests as the SQLite outbox, except surviving a restart.
 */
export class MemoryOutbox implements Outbox {
  private lastSeq = 0;
  private readonly entries = new Map<number, OutboxEntry & { lastSentAt: number | null }>();

  append(event: NewEvent): DeviceEvent {
    const { event: full, entry } = toOutboxEntry(event, ++this.lastSeq);
    this.entries.set(entry.seq, { ...entry, lastSentAt: null });
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

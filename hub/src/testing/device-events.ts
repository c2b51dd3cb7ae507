/**
 * For tests that feed the ingest by hand: device events on one made-up clock, numbered as one edge
 * numbers them. `iso(ms)` is the time `ms` after the clock's start; `event` makes the next event.
 */
import { randomUUID } from 'node:crypto';

export function deviceEvents(start = '2026-12-02T10:00:00Z') {
  const base = Date.parse(start);
  const iso = (ms: number) => new Date(base + ms).toISOString();
  let seq = 0;
  const event = (type: string, procedureId: string, body: unknown, atMs = 0) => ({
    id: randomUUID(),
    seq: ++seq,
    ts: iso(atMs),
    procedureId,
    type,
    body,
  });
  return { iso, event };
}

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openEdgeDatabase } from '../store/edge-database.js';
import { MemoryOutbox } from './memory-outbox.js';
import type { Outbox } from './outbox.js';
import { SqliteOutbox } from './sqlite-outbox.js';

const procedureId = '0b6f6a9e-8a9f-4f0e-b1b5-3f4b1b2c3d4e';
const started = {
  type: 'procedure.started' as const,
  procedureId,
  body: { startedAt: new Date().toISOString(), source: { kind: 'test' as const, label: 'test' } },
};
const ended = {
  type: 'procedure.ended' as const,
  procedureId,
  body: { endedAt: new Date().toISOString(), analysedFrames: 1, reason: 'operator' as const },
};
const frame = {
  type: 'frame.analysed' as const,
  procedureId,
  body: {
    frameIndex: 0,
    ptsMs: 0,
    width: 4,
    height: 4,
    quality: { sharpness: 1, brightness: 0.5, blurred: false, exposure: 'ok' as const, inBody: true },
    privacyRegions: [],
    detections: [],
    models: [],
    modelsOff: [],
    latencyMs: 1,
  },
};
const chat = {
  type: 'chat.message' as const,
  procedureId,
  body: {
    messageId: '9a4e1c2b-5d6f-4a7b-8c9d-0e1f2a3b4c5d',
    sessionId: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
    role: 'user' as const,
    text: 'Is this a sessile polyp?',
    at: new Date().toISOString(),
  },
};

// One contract, every implementation (as MQTT.js tests its stores).
describe.each([
  ['SqliteOutbox', () => new SqliteOutbox(openEdgeDatabase(':memory:'))],
  ['MemoryOutbox', () => new MemoryOutbox()],
] as [string, () => Outbox][])('%s (outbox contract)', (_name, create) => {
  it('numbers events in order and never reuses a sequence number', () => {
    const outbox = create();
    const a = outbox.append(started);
    const b = outbox.append(frame);
    expect([a.seq, b.seq]).toEqual([1, 2]);
    outbox.confirm([b.id]);
    expect(outbox.append(frame).seq).toBe(3);
  });

  it('hands clinical events out before bulk data, each in sequence order', () => {
    const outbox = create();
    outbox.append(started);
    outbox.append(frame);
    outbox.append(frame);
    outbox.append(ended);
    expect(outbox.due(10, new Date()).map((e) => [e.type, e.seq])).toEqual([
      ['procedure.started', 1],
      ['procedure.ended', 4],
      ['frame.analysed', 2],
      ['frame.analysed', 3],
    ]);
  });

  it('hands chat messages out with the clinical events, before bulk data', () => {
    const outbox = create();
    outbox.append(frame);
    outbox.append(chat);
    outbox.append(started);
    expect(outbox.due(10, new Date()).map((e) => e.type)).toEqual([
      'chat.message',
      'procedure.started',
      'frame.analysed',
    ]);
  });

  it('keeps sent events until confirmed and offers them again after the resend time', () => {
    const outbox = create();
    const event = outbox.append(started);
    const sentAt = new Date('2026-01-01T00:00:00Z');
    outbox.markSent([event.seq], sentAt);
    expect(outbox.due(10, sentAt)).toHaveLength(0);
    const again = outbox.due(10, new Date('2026-01-01T00:00:10Z'));
    expect(again).toHaveLength(1);
    expect(again[0]!.attempts).toBe(1);
    expect(JSON.parse(again[0]!.payload)).toEqual(event);
    expect(outbox.confirm([event.id, event.id])).toBe(1);
    expect(outbox.size()).toBe(0);
  });

  it('hands out events due again and never-sent ones together, in sending order', () => {
    const outbox = create();
    for (const e of [started, frame, frame, ended, frame]) outbox.append(e);
    const sentAt = new Date('2026-01-01T00:00:00Z');
    const later = new Date('2026-01-01T00:00:10Z');
    outbox.markSent([2, 4], sentAt);
    expect(outbox.due(10, sentAt).map((e) => e.seq)).toEqual([1, 3, 5]);
    expect(outbox.due(10, later).map((e) => e.seq)).toEqual([1, 4, 2, 3, 5]);
    expect(outbox.due(3, later).map((e) => e.seq)).toEqual([1, 4, 2]);
    outbox.markSent([1, 3, 5], later);
    expect(outbox.due(10, later).map((e) => [e.seq, e.attempts])).toEqual([
      [4, 1],
      [2, 1],
    ]);
  });

  it('limits how many it hands out at once', () => {
    const outbox = create();
    for (let i = 0; i < 5; i++) outbox.append(frame);
    expect(outbox.due(3, new Date()).map((e) => e.seq)).toEqual([1, 2, 3]);
  });
});

describe('SqliteOutbox', () => {
  it('rolls back with the transaction it was appended in', () => {
    const db = openEdgeDatabase(':memory:');
    const outbox = new SqliteOutbox(db);
    expect(() =>
      db.transaction(() => {
        outbox.append(started);
        throw new Error('local write failed');
      })(),
    ).toThrow('local write failed');
    expect(outbox.size()).toBe(0);
  });

  it('commits send times and confirmations unflushed, and leaves the connection flushing every commit', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'gic-outbox-')), 'edge.db');
    const db = openEdgeDatabase(path);
    const outbox = new SqliteOutbox(db);
    const a = outbox.append(started);
    const b = outbox.append(frame);
    outbox.markSent([a.seq, b.seq], new Date('2026-01-01T00:00:00Z'));
    outbox.confirm([a.id]);
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL, as the store opened it
    // Committed: another connection sees both writes.
    const other = openEdgeDatabase(path);
    expect(
      new SqliteOutbox(other).due(10, new Date('2026-01-01T00:00:10Z')).map((e) => [e.seq, e.attempts]),
    ).toEqual([[b.seq, 1]]);
    other.close();
    // Inside a caller's transaction, they are part of it (and roll back with it).
    expect(() =>
      db.transaction(() => {
        outbox.confirm([b.id]);
        throw new Error('rolled back');
      })(),
    ).toThrow('rolled back');
    expect(outbox.size()).toBe(1);
    db.close();
  });

  it('keeps unconfirmed events and the sequence across a restart', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'gic-outbox-')), 'edge.db');
    const db = openEdgeDatabase(path);
    const first = new SqliteOutbox(db);
    const a = first.append(started);
    first.append(frame);
    first.confirm([a.id]);
    db.close();
    const again = new SqliteOutbox(openEdgeDatabase(path));
    expect(again.due(10, new Date()).map((e) => e.seq)).toEqual([2]);
    expect(again.append(ended).seq).toBe(3);
  });
});

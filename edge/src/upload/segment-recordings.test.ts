import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@gic/shared/logging/logger.js';
import { type DeviceEvent, deviceEventSchema } from '@gic/shared/messages/events.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { ProcedureLog } from '../live/procedure-log.js';
import { SqliteOutbox } from '../outbox/sqlite-outbox.js';
import { type EdgeDatabase, openEdgeDatabase } from '../store/edge-database.js';
import { RecordingsStore } from './recordings-store.js';
import { SegmentRecordings } from './segment-recordings.js';

describe('SegmentRecordings', () => {
  let dir: string;
  let db: EdgeDatabase;
  let store: RecordingsStore;
  let procedures: ProcedureLog;
  let open: string | undefined;
  let splits: number;
  let sealed: number;
  let segments: SegmentRecordings;

  const file = (name: string, bytes = 1000) => {
    const path = join(dir, name);
    writeFileSync(path, Buffer.alloc(bytes, 7));
    return path;
  };
  const start = () => {
    open = procedures.start({ kind: 'test' }, 'test', { trigger: 'operator', operator: null }).id;
    segments.procedureStarted(open);
    return open;
  };
  const end = () => {
    const id = open!;
    procedures.end(id, 'operator');
    open = undefined;
    segments.procedureEnded(id);
    return id;
  };
  const seals = () =>
    (
      db.prepare("SELECT payload FROM outbox WHERE type = 'recording.sealed' ORDER BY seq").all() as {
        payload: string;
      }[]
    )
      .map((r) => deviceEventSchema.parse(JSON.parse(r.payload)))
      .map((e) => (e as Extract<DeviceEvent, { type: 'recording.sealed' }>).body);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gic-segments-'));
    db = openEdgeDatabase(':memory:');
    const outbox = new SqliteOutbox(db);
    store = new RecordingsStore(db);
    procedures = new ProcedureLog(db, outbox);
    open = undefined;
    splits = 0;
    sealed = 0;
    segments = new SegmentRecordings(
      store,
      outbox,
      createLogger('segments', 'silent'),
      { sealed: () => sealed++, split: () => splits++ },
      () => open,
    );
  });

  it("carries each segment's capture start in its seal, and keeps it out where the capture cannot tell", async () => {
    start();
    const startedAt = new Date('2026-01-01T10:00:00.000Z');
    const a = file('a.mp4');
    segments.opened(a, startedAt);
    await segments.closed(a);
    const b = file('b.mp4');
    segments.opened(b); // a file replayed faster than real time: no wall-clock start
    end();
    await segments.closed(b);
    expect(seals().map((s) => [s.segmentIndex, s.startedAt])).toEqual([
      [0, '2026-01-01T10:00:00.000Z'],
      [1, undefined],
    ]);
  });

  it('keeps how much video the recorder wrote into each sealed segment, where it knows', async () => {
    const id = start();
    const a = file('a.mp4');
    segments.opened(a);
    await segments.closed(a, 4960);
    const b = file('b.mp4');
    segments.opened(b);
    end();
    await segments.closed(b); // cut short by a failed write: not known
    const rows = db
      .prepare(
        'SELECT segment_index, status, duration_ms FROM recordings WHERE procedure_id = ? ORDER BY segment_index',
      )
      .all(id);
    expect(rows).toEqual([
      { segment_index: 0, status: 'ready', duration_ms: 4960 },
      { segment_index: 1, status: 'ready', duration_ms: null },
    ]);
  });

  it('numbers the segments of a procedure, splits at its end, and seals the last one final', async () => {
    const id = start();
    const a = file('a.mp4');
    segments.opened(a);
    await segments.closed(a);
    const b = file('b.mp4');
    segments.opened(b);
    end();
    expect(splits).toBe(1); // the recorder is asked to close b now, so no segment holds two patients
    await segments.closed(b);
    expect(sealed).toBe(2);
    expect(seals().map((s) => [s.segmentIndex, s.final, s.status])).toEqual([
      [0, false, 'ready'],
      [1, true, 'ready'],
    ]);
    expect(store.segmentCount(id)).toBe(2);
  });

  it('gives a segment opened before a procedure started to it, and deletes one no procedure had', async () => {
    const before = file('before.mp4');
    segments.opened(before);
    const id = start(); // an automatic start, dated back into this segment
    end();
    await segments.closed(before);
    expect(store.lastSegment(id)).toMatchObject({ path: before, status: 'ready', final: 1 });
    const between = file('between.mp4');
    segments.opened(between); // the room between patients
    await segments.closed(between);
    expect(existsSync(between)).toBe(false);
    expect(existsSync(before)).toBe(true);
  });

  it('gives a segment the analysis had not caught up with when it closed to the procedure the analysis then starts', async () => {
    // A short file: the recorder closes its one segment at the end of the stream, while frames of it
    // still wait for the analysis, and one of them starts the procedure.
    const clip = file('clip.mp4');
    segments.opened(clip);
    let analysed!: () => void;
    const caughtUp = new Promise<void>((resolve) => {
      analysed = resolve;
    });
    const closing = segments.closed(clip, 6000, () => caughtUp);
    await new Promise((r) => setTimeout(r, 10));
    const id = start(); // an automatic start, from a frame analysed after the segment closed
    analysed();
    await closing;
    end(); // the source's end ends the procedure after its segments are closed
    expect(existsSync(clip)).toBe(true);
    expect(store.lastSegment(id)).toMatchObject({ path: clip, status: 'ready', final: 1, duration_ms: 6000 });
    expect(seals().map((s) => [s.segmentIndex, s.status, s.final])).toEqual([
      [0, 'ready', false],
      [0, 'ready', true],
    ]);

    // The analysis caught up and started nothing: the room between patients is deleted as before.
    const between = file('between.mp4');
    segments.opened(between);
    await segments.closed(between, 2000, () => Promise.resolve());
    expect(existsSync(between)).toBe(false);
  });

  it('seals a waiting segment final when its procedure starts and ends before the analysis has caught up', async () => {
    const clip = file('short.mp4');
    segments.opened(clip);
    let analysed!: () => void;
    const caughtUp = new Promise<void>((resolve) => {
      analysed = resolve;
    });
    const closing = segments.closed(clip, 3000, () => caughtUp);
    const id = start();
    end(); // nothing is split: the segment is closed already, and it is sealed once the wait is over
    expect(splits).toBe(0);
    expect(seals()).toEqual([]);
    analysed();
    await closing;
    expect(store.lastSegment(id)).toMatchObject({ path: clip, status: 'ready', final: 1 });
    expect(seals().map((s) => [s.segmentIndex, s.status, s.final])).toEqual([[0, 'ready', true]]);
  });

  it('marks the last segment final when the procedure outlives it, and says so when nothing was recorded', async () => {
    const id = start();
    const a = file('a.mp4');
    segments.opened(a);
    await segments.closed(a); // the source was lost; the procedure waits for it
    end();
    expect(seals().map((s) => [s.segmentIndex, s.final])).toEqual([
      [0, false],
      [0, true],
    ]);
    expect(store.lastSegment(id)?.final).toBe(1);

    start(); // recording was off the whole time (a full disk)
    end();
    expect(seals().at(-1)).toMatchObject({
      status: 'failed',
      final: true,
      error: 'nothing was recorded for this procedure',
    });
  });

  it('deletes segment files that no recording row points at', async () => {
    start();
    const kept = file('kept.mp4');
    segments.opened(kept);
    await segments.closed(kept);
    const orphan = file('orphan.mp4');
    file('notes.txt');
    expect(segments.sweepOrphans(dir)).toBe(1);
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(kept)).toBe(true);
    expect(existsSync(join(dir, 'notes.txt'))).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { openEdgeDatabase } from '../store/edge-database.js';
import { AlertTracker } from './alert-tracker.js';
import { AlertsStore } from './alerts-store.js';

describe('AlertsStore', () => {
  it('keeps one audited row per alert through its life, with whether a screen showed it', () => {
    const db = openEdgeDatabase(':memory:');
    db.prepare(
      "INSERT INTO procedures (id, started_at, source_label) VALUES ('p1', '2026-11-24T10:00:00Z', 'x')",
    ).run();
    const store = new AlertsStore(db);
    const tracker = new AlertTracker();
    const models = [{ id: 'polyp', version: '2.1', executionProvider: 'cpu' }];
    const seen = [{ label: 'polyp', score: 0.8, box: { x: 0.1, y: 0.1, w: 0.2, h: 0.2 }, modelId: 'polyp' }];
    const raisedAt = '2026-11-24T10:00:01.000Z';
    for (let i = 0; i < 5; i++) {
      for (const { alert } of tracker.update({
        frameIndex: i,
        timeMs: i * 100,
        detections: seen,
        models,
        shown: false,
      })) {
        store.upsert('p1', alert, raisedAt);
      }
    }
    const [alert] = tracker.current;
    store.upsert(
      'p1',
      tracker.dismiss(alert!.id, 'nurse.kim', Date.parse('2026-11-24T10:00:05Z'))!,
      raisedAt,
    );
    const rows = store.list('p1');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      label: 'polyp',
      model_id: 'polyp',
      model_version: '2.1',
      raised_frame_index: 3,
      raised_at: raisedAt,
      best_score: 0.8,
      shown: 0,
      state: 'dismissed',
      dismissed_by: 'nurse.kim',
      dismissed_at: '2026-11-24T10:00:05.000Z',
    });
    expect(JSON.parse(String(rows[0]!.box))).toEqual({ x: 0.1, y: 0.1, w: 0.2, h: 0.2 });
  });
});

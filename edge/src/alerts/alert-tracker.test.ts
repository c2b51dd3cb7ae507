import type { Box, Detection } from '@gic/shared/messages/events.js';
import { describe, expect, it } from 'vitest';
import { type AlertChange, AlertTracker } from './alert-tracker.js';

const models = [{ id: 'polyp', version: '2.1', executionProvider: 'cpu' }];
const lesion = (box: Box, score = 0.9): Detection => ({ label: 'polyp', score, box, modelId: 'polyp' });
const A: Box = { x: 0.1, y: 0.1, w: 0.2, h: 0.2 };
const B: Box = { x: 0.6, y: 0.6, w: 0.2, h: 0.2 };

/** Runs frames at 10 fps; `seen(i)` gives frame i's detections. */
function run(tracker: AlertTracker, frames: number, seen: (i: number) => Detection[], from = 0) {
  const changes: AlertChange[] = [];
  for (let i = from; i < from + frames; i++) {
    changes.push(...tracker.update({ frameIndex: i, timeMs: i * 100, detections: seen(i), models }));
  }
  return changes;
}
const kinds = (changes: AlertChange[]) => changes.map((c) => c.kind);

describe('AlertTracker', () => {
  it('raises one alert per lesion after the minimum duration, and ends it once it is gone', () => {
    const tracker = new AlertTracker();
    const changes = run(tracker, 40, (i) => (i < 30 ? [lesion(A, i === 10 ? 0.95 : 0.9)] : []));
    expect(kinds(changes)).toEqual(['raised', 'updated', 'ended']);
    const raised = changes[0]!.alert;
    expect(raised).toMatchObject({
      label: 'polyp',
      modelId: 'polyp',
      modelVersion: '2.1',
      firstFrameIndex: 0,
      raisedFrameIndex: 3,
    });
    expect(changes[2]!.alert).toMatchObject({ state: 'ended', bestScore: 0.95 });
  });

  it('keeps one alert through a brief gap, and never alerts on a single frame or a weak score', () => {
    const tracker = new AlertTracker();
    expect(kinds(run(tracker, 20, (i) => (i === 8 || i === 9 ? [] : [lesion(A)])))).toEqual(['raised']);
    const other = new AlertTracker();
    expect(run(other, 20, (i) => (i === 5 ? [lesion(A)] : []))).toEqual([]);
    expect(run(other, 20, () => [lesion(B, 0.4)], 20)).toEqual([]);
  });

  it('gives two lesions two alerts', () => {
    const tracker = new AlertTracker();
    const changes = run(tracker, 10, () => [lesion(A), lesion(B)]);
    expect(kinds(changes)).toEqual(['raised', 'raised']);
    expect(new Set(changes.map((c) => c.alert.id)).size).toBe(2);
  });

  it('records who acknowledged or dismissed, keeps a dismissed lesion quiet, and still alerts elsewhere', () => {
    const tracker = new AlertTracker();
    const [raised] = run(tracker, 5, () => [lesion(A)]);
    expect(tracker.acknowledge(raised!.alert.id, 'dr.jones', 550)).toMatchObject({
      state: 'acknowledged',
      acknowledgedBy: 'dr.jones',
      acknowledgedAtMs: 550,
    });
    expect(tracker.dismiss(raised!.alert.id, 'dr.jones', 600)).toMatchObject({
      state: 'dismissed',
      dismissedBy: 'dr.jones',
    });
    expect(tracker.acknowledge('nope', 'x', 0)).toBeUndefined();
    // Still in view: no new alert. Gone for a moment and back within the cooldown: still none.
    const later = run(tracker, 20, (i) => (i < 15 ? [lesion(A)] : []), 5);
    expect(kinds(later)).toEqual(['ended']);
    expect(run(tracker, 10, () => [lesion(A)], 25)).toEqual([]);
    // A new lesion elsewhere alerts at once after its minimum duration.
    expect(kinds(run(tracker, 5, () => [lesion(B)], 35))).toEqual(['raised']);
  });
});

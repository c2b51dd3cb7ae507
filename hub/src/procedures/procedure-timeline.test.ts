import type { FrameQuality } from '@gic/shared/messages/events.js';
import { describe, expect, it } from 'vitest';
import {
  buildTimeline,
  frameTimes,
  qualityScore,
  type TimelineInput,
  wallToAxis,
} from './procedure-timeline.js';

const q = (over: Partial<FrameQuality> = {}): FrameQuality => ({
  sharpness: 30,
  brightness: 0.5,
  blurred: false,
  exposure: 'ok',
  inBody: true,
  ...over,
});
const polyp = (score: number) => [{ label: 'polyp', score, modelId: 'tiny-polyp' }];

describe('the procedure timeline', () => {
  it('places frames by their timestamps, and by the wall clock where a restarted run began its clock again', () => {
    const frames = [
      { ptsMs: 5000, atMs: 100_000 },
      { ptsMs: 5250, atMs: 100_250 },
      { ptsMs: 5500, atMs: 100_300 }, // replayed faster than real time: the video's time counts
      { ptsMs: 0, atMs: 102_300 }, // a new capture run, 2 s later by the wall clock
      { ptsMs: 250, atMs: 102_550 },
    ];
    expect(frameTimes(frames)).toEqual([0, 250, 500, 2500, 2750]);
    const times = frameTimes(frames);
    expect(wallToAxis(frames, times, 100_260)).toBe(260);
    expect(wallToAxis(frames, times, 99_000)).toBe(0);
    expect(wallToAxis(frames, times, 102_600)).toBe(2800);
    expect(wallToAxis([], [], 5)).toBe(0);
  });

  it('scores quality from sharpness against the blur threshold, halved when badly exposed', () => {
    expect(qualityScore(q({ sharpness: 30 }))).toBe(1);
    expect(qualityScore(q({ sharpness: 15 }))).toBe(0.5);
    expect(qualityScore(q({ sharpness: 15, exposure: 'under' }))).toBe(0.25);
    expect(qualityScore(q({ sharpness: 0 }))).toBe(0);
  });

  it('groups findings into runs at their best frame, and maps alerts, the cecum, withdrawal, body and chat', () => {
    const at0 = Date.parse('2026-01-01T10:00:00Z');
    const frames: TimelineInput['frames'] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => ({
      ptsMs: i * 500,
      atMs: at0 + i * 500,
      quality: q({ inBody: i >= 1 && i <= 6 }),
      detections: i === 2 ? polyp(0.4) : i === 3 ? polyp(0.9) : i === 6 ? polyp(0.5) : [],
    }));
    const t = buildTimeline({
      frames,
      frameIndexes: frames.map((_, i) => 100 + i),
      endedAtMs: at0 + 3700,
      cecumAtMs: at0 + 2600,
      alerts: [
        {
          id: 'a1',
          label: 'polyp',
          score: 0.9,
          raisedFrameIndex: 103,
          raisedAtMs: at0 + 9999, // the frame's place wins over the wall clock
          state: 'acknowledged',
          acknowledgedBy: 'Dr. A',
          acknowledgedAtMs: at0 + 2000,
          dismissedBy: null,
          dismissedAtMs: null,
        },
      ],
      chat: [{ atMs: at0 + 1250, role: 'user', text: 'what is this?', by: 'Dr. A' }],
    });
    expect(t.durationMs).toBe(4000);
    expect(t.startedAt).toBe('2026-01-01T10:00:00.000Z'); // the first frame's event time (no latency given)
    expect(t.findings).toEqual([
      { tMs: 1500, startMs: 1000, endMs: 2000, label: 'polyp', score: 0.9, modelId: 'tiny-polyp' },
      { tMs: 3000, startMs: 3000, endMs: 3500, label: 'polyp', score: 0.5, modelId: 'tiny-polyp' },
    ]);
    expect(t.alerts).toEqual([
      expect.objectContaining({ id: 'a1', tMs: 1500, acknowledgedBy: 'Dr. A', acknowledgedMs: 2000 }),
    ]);
    expect(t.landmarks).toEqual([{ tMs: 2600, name: 'cecum' }]);
    expect(t.withdrawal).toEqual({ startMs: 2600, endMs: 3700 });
    expect(t.inBody).toEqual([{ startMs: 500, endMs: 3500 }]);
    expect(t.quality).toHaveLength(8);
    expect(t.chat).toEqual([{ tMs: 1250, role: 'user', text: 'what is this?', by: 'Dr. A' }]);
  });

  it('is empty, not broken, for a procedure with no analysed frame yet', () => {
    const t = buildTimeline({
      frames: [],
      frameIndexes: [],
      endedAtMs: null,
      cecumAtMs: null,
      alerts: [],
      chat: [],
    });
    expect(t).toMatchObject({
      durationMs: 0,
      startedAt: null,
      findings: [],
      inBody: [],
      quality: [],
      withdrawal: null,
    });
  });

  it("dates its zero at the first frame's capture, from the frame that waited least for its analysis", () => {
    const at0 = Date.parse('2026-01-01T10:00:00Z');
    // Captured every 250 ms from at0; analysed in 40 ms each, but the first two waited for the models
    // to warm up (2 s, then 1.2 s): their event times alone would date the zero seconds late.
    const waited = [2000, 1200, 0, 0];
    const t = buildTimeline({
      frames: [0, 1, 2, 3].map((i) => ({
        ptsMs: i * 250,
        atMs: at0 + i * 250 + 40 + waited[i]!,
        latencyMs: 40,
        quality: q({}),
        detections: [],
      })),
      frameIndexes: [0, 1, 2, 3],
      endedAtMs: null,
      cecumAtMs: null,
      alerts: [],
      chat: [],
    });
    expect(t.startedAt).toBe('2026-01-01T10:00:00.000Z');
    // Where the edge said when the frames were captured (live sources), that is taken as it is.
    const said = buildTimeline({
      frames: [0, 1].map((i) => ({
        ptsMs: i * 250,
        atMs: at0 + 5000 + i * 250,
        capturedAtMs: at0 + 120 + i * 250,
        quality: q({}),
        detections: [],
      })),
      frameIndexes: [0, 1],
      endedAtMs: null,
      cecumAtMs: null,
      alerts: [],
      chat: [],
    });
    expect(said.startedAt).toBe('2026-01-01T10:00:00.120Z');
  });
});

import type { Timeline } from '../../../src/procedures/procedure-view-types.js';
import type { VideoSummary } from './video-api.js';

/**
 * A timeline from the batch processing's summary, for a procedure the hub has no room analyses of
 * (an uploaded video): its findings, quality and phases, on the video's own axis (ms from its start).
 */
export function timelineFromSummary(s: VideoSummary): Timeline {
  const ends = [
    ...s.phases.map((p) => p.endMs),
    ...s.quality.map((q) => q.tMs),
    ...s.findings.map((f) => f.tMs),
  ];
  const withdrawal = s.phases.find((p) => p.name === 'withdrawal');
  return {
    durationMs: ends.length ? Math.max(...ends) : 0,
    startedAt: null, // on the video's own axis already
    findings: s.findings.map((f) => ({
      tMs: f.tMs,
      startMs: f.tMs,
      endMs: f.tMs,
      label: f.kind,
      score: f.score,
      modelId: 'batch',
    })),
    alerts: [],
    landmarks: withdrawal ? [{ tMs: withdrawal.startMs, name: 'cecum' }] : [],
    withdrawal: withdrawal ? { startMs: withdrawal.startMs, endMs: withdrawal.endMs } : null,
    inBody: s.phases
      .filter((p) => p.name !== 'out-of-body')
      .map((p) => ({ startMs: p.startMs, endMs: p.endMs })),
    quality: s.quality,
    chat: [],
  };
}

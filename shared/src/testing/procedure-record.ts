import type { RawProcedure } from '../chat/procedure-facts.js';

export interface RecordSpec {
  procedureId: string;
  /** Wall clock of the first frame (epoch ms). */
  startedAtMs: number;
  durationMs: number;
  /** Analysed frames per second. */
  fps: number;
  /** Polyps: where each is seen (ms on the axis) and for how long; each raises one alert. */
  polyps?: { atMs: number; forMs: number; score: number; state?: string }[];
  cecumAtMs?: number;
  ended?: boolean;
  /** The scope is outside the body before this and after the end minus this (ms). */
  outsideMs?: number;
}

/** A procedure's raw record as a store would read it, generated: for the chat's tests and bench. */
export function procedureRecord(spec: RecordSpec): RawProcedure {
  const step = 1000 / spec.fps;
  const polyps = spec.polyps ?? [];
  const outside = spec.outsideMs ?? 0;
  const frames: RawProcedure['frames'] = [];
  for (let t = 0; t < spec.durationMs; t += step) {
    frames.push({
      ptsMs: t,
      atMs: spec.startedAtMs + t,
      inBody: t >= outside && t < spec.durationMs - outside,
      quality: 0.8,
      detections: polyps
        .filter((p) => t >= p.atMs && t < p.atMs + p.forMs)
        .map((p) => ({ label: 'polyp', score: p.score })),
    });
  }
  return {
    procedureId: spec.procedureId,
    startedAtMs: spec.startedAtMs,
    endedAtMs: spec.ended ? spec.startedAtMs + spec.durationMs : null,
    cecumAtMs: spec.cecumAtMs === undefined ? null : spec.startedAtMs + spec.cecumAtMs,
    source: 'test pattern',
    operator: 'dr.jones',
    frames,
    alerts: polyps.map((p, i) => ({
      id: `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
      label: 'polyp',
      score: p.score,
      state: p.state ?? 'acknowledged',
      by: 'dr.jones',
      raisedAtMs: spec.startedAtMs + p.atMs,
    })),
  };
}

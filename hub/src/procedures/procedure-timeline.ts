import { defaultQualityThresholds } from '@gic/shared/analysis/image-quality.js';
import type { FrameQuality } from '@gic/shared/messages/events.js';
import { type FrameFindings, findingsLine } from '@gic/shared/vlm/frame-findings.js';
import type { Queryable } from '../db/database.js';
import type { Timeline } from './procedure-view-types.js';

/** One analysed frame as the timeline reads it. */
export interface TimelineFrame {
  ptsMs: number;
  /** When the edge analysed it (its event's timestamp, epoch ms): maps wall-clock events onto the axis. */
  atMs: number;
  /** How long its analysis took (ms): `atMs` less this, and less its wait, is when it was captured. */
  latencyMs?: number;
  /** When it was captured (epoch ms), where the edge said (live sources). */
  capturedAtMs?: number;
  quality: FrameQuality;
  detections: { label: string; score: number; modelId: string }[];
}

/**
 * A frame's quality as one figure for the chart, 0..1: sharpness against twice the blur threshold
 * (so a frame just sharp enough scores 0.5), halved when badly exposed.
 */
export function qualityScore(q: FrameQuality): number {
  const sharp = Math.min(1, q.sharpness / (2 * defaultQualityThresholds.minSharpness));
  return Math.round((q.exposure === 'ok' ? sharp : sharp / 2) * 1000) / 1000;
}

/**
 * Each frame's place on the procedure's axis (ms from its first frame), in the video's own time:
 * the step between frames is the step of their timestamps, or, where those go back (a capture run
 * restarted and its clock began again), the wall-clock step between them.
 */
export function frameTimes(frames: Pick<TimelineFrame, 'ptsMs' | 'atMs'>[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    const prev = frames[i - 1];
    if (!prev) out.push(0);
    else {
      const step = f.ptsMs >= prev.ptsMs ? f.ptsMs - prev.ptsMs : Math.max(0, f.atMs - prev.atMs);
      out.push(out[i - 1]! + step);
    }
  }
  return out;
}

/** Maps a wall-clock instant (epoch ms) onto the axis through the last frame analysed before it. */
export function wallToAxis(frames: Pick<TimelineFrame, 'atMs'>[], times: number[], atMs: number): number {
  if (frames.length === 0) return 0;
  let lo = 0;
  let hi = frames.length - 1;
  if (atMs <= frames[0]!.atMs) return Math.max(0, times[0]! - (frames[0]!.atMs - atMs));
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (frames[mid]!.atMs <= atMs) lo = mid;
    else hi = mid - 1;
  }
  return times[lo]! + (atMs - frames[lo]!.atMs);
}

/**
 * When the axis's zero was captured (ISO, the edge's clock), for a live source: the first frame's
 * capture time where the edge said it. Otherwise estimated, as a live source's stream time is
 * wall-clock time: each frame says "zero was captured at my event time less my analysis latency,
 * less my place on the axis, less however long I waited for the analysis"; the wait is unknown (the
 * first frames wait for the models to warm up, seconds on a busy CPU), so the earliest claim, the
 * frame that waited least, is taken (still late by that wait). Null without frames.
 */
export function captureStart(
  frames: Pick<TimelineFrame, 'atMs' | 'latencyMs' | 'capturedAtMs'>[],
  times: number[],
): string | null {
  const first = frames[0]?.capturedAtMs;
  if (first !== undefined) return new Date(first - times[0]!).toISOString();
  let earliest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < frames.length; i++)
    earliest = Math.min(earliest, frames[i]!.atMs - (frames[i]!.latencyMs ?? 0) - times[i]!);
  return frames.length ? new Date(Math.round(earliest)).toISOString() : null;
}

/** Runs of consecutive frames where `keep` holds, as [start, end) on the axis. */
function runs(times: number[], endMs: number, keep: (i: number) => boolean) {
  const out: { startMs: number; endMs: number; first: number; last: number }[] = [];
  for (let i = 0; i < times.length; i++) {
    if (!keep(i)) continue;
    const open = out[out.length - 1];
    if (open && open.last === i - 1) open.last = i;
    else out.push({ startMs: times[i]!, endMs: 0, first: i, last: i });
  }
  for (const r of out) r.endMs = times[r.last + 1] ?? endMs;
  return out;
}

export interface TimelineInput {
  frames: TimelineFrame[];
  endedAtMs: number | null;
  cecumAtMs: number | null;
  alerts: {
    id: string;
    label: string;
    score: number;
    raisedFrameIndex: number;
    raisedAtMs: number;
    state: Timeline['alerts'][number]['state'];
    acknowledgedBy: string | null;
    acknowledgedAtMs: number | null;
    dismissedBy: string | null;
    dismissedAtMs: number | null;
  }[];
  /** frame_index of each frame, to place an alert at the frame that raised it. */
  frameIndexes: number[];
  chat: { atMs: number; role: 'user' | 'assistant'; text: string; by: string | null }[];
  /** The VLM's readings of frames, by their frames' wall clocks. */
  modelReadings?: (Omit<NonNullable<Timeline['modelReadings']>[number], 'tMs'> & { atMs: number })[];
}

/** Builds the timeline from what the hub stored of a procedure (pure: see procedure-timeline.test.ts). */
export function buildTimeline(input: TimelineInput): Timeline {
  const { frames } = input;
  const times = frameTimes(frames);
  const last = times[times.length - 1] ?? 0;
  const step = frames.length > 1 ? last / (frames.length - 1) : 0;
  const durationMs = Math.round(frames.length ? last + step : 0);
  const at = (wall: number) => Math.min(durationMs, Math.max(0, Math.round(wallToAxis(frames, times, wall))));
  const byIndex = new Map(input.frameIndexes.map((index, i) => [index, i]));

  const findings: Timeline['findings'] = [];
  const labels = new Set(frames.flatMap((f) => f.detections.map((d) => d.label)));
  for (const label of labels) {
    const best = (i: number) =>
      frames[i]!.detections.filter((d) => d.label === label).sort((a, b) => b.score - a.score)[0];
    for (const r of runs(times, durationMs, (i) => best(i) !== undefined)) {
      let top = r.first;
      for (let i = r.first; i <= r.last; i++) if (best(i)!.score > best(top)!.score) top = i;
      const d = best(top)!;
      findings.push({
        tMs: times[top]!,
        startMs: r.startMs,
        endMs: r.endMs,
        label,
        score: d.score,
        modelId: d.modelId,
      });
    }
  }
  findings.sort((a, b) => a.tMs - b.tMs);

  const cecum = input.cecumAtMs === null ? null : at(input.cecumAtMs);
  return {
    durationMs,
    startedAt: captureStart(frames, times),
    findings,
    alerts: input.alerts.map((a) => {
      const i = byIndex.get(a.raisedFrameIndex);
      return {
        id: a.id,
        tMs: i === undefined ? at(a.raisedAtMs) : times[i]!,
        label: a.label,
        score: a.score,
        state: a.state,
        acknowledgedBy: a.acknowledgedBy,
        acknowledgedMs: a.acknowledgedAtMs === null ? null : at(a.acknowledgedAtMs),
        dismissedBy: a.dismissedBy,
        dismissedMs: a.dismissedAtMs === null ? null : at(a.dismissedAtMs),
      };
    }),
    landmarks: cecum === null ? [] : [{ tMs: cecum, name: 'cecum' }],
    withdrawal:
      cecum === null
        ? null
        : { startMs: cecum, endMs: input.endedAtMs === null ? durationMs : at(input.endedAtMs) },
    inBody: runs(times, durationMs, (i) => frames[i]!.quality.inBody).map(({ startMs, endMs }) => ({
      startMs,
      endMs,
    })),
    quality: frames.map((f, i) => ({ tMs: times[i]!, score: qualityScore(f.quality) })),
    chat: input.chat.map((m) => ({ tMs: at(m.atMs), role: m.role, text: m.text, by: m.by })),
    ...(input.modelReadings
      ? { modelReadings: input.modelReadings.map(({ atMs, ...r }) => ({ tMs: at(atMs), ...r })) }
      : {}),
  };
}

/** The timeline of one procedure from PostgreSQL, or undefined when there is no such procedure. */
export async function loadTimeline(db: Queryable, procedureId: string): Promise<Timeline | undefined> {
  const procedure = await db.query<{ ended_at: Date | null; cecum_reached_at: Date | null }>(
    'SELECT ended_at, cecum_reached_at FROM procedures WHERE id = $1',
    [procedureId],
  );
  const p = procedure.rows[0];
  if (!p) return undefined;
  const [frames, alerts, chat, readings] = await Promise.all([
    // Only the parts of each analysis the timeline draws (not its privacy regions or outline).
    db.query<{
      frame_index: number;
      pts_ms: number;
      at: Date | null;
      created_at: Date;
      latency_ms: number | null;
      captured_at: string | null;
      quality: FrameQuality;
      detections: TimelineFrame['detections'];
    }>(
      `SELECT fa.frame_index, fa.pts_ms, e.event_ts AS at, fa.created_at, (fa.analysis->>'latencyMs')::float8 AS latency_ms,
              fa.analysis->>'capturedAt' AS captured_at,
              fa.analysis->'quality' AS quality,
              coalesce(fa.analysis->'detections', '[]'::jsonb) AS detections
         FROM frame_analyses fa
         LEFT JOIN device_events e ON e.device_id = fa.device_id AND e.event_id = fa.event_id
        WHERE fa.procedure_id = $1
        ORDER BY coalesce(e.event_ts, fa.created_at), fa.frame_index`,
      [procedureId],
    ),
    db.query<{
      id: string;
      label: string;
      best_score: number;
      raised_frame_index: number;
      raised_at: Date;
      state: Timeline['alerts'][number]['state'];
      acknowledged_by: string | null;
      acknowledged_at: Date | null;
      dismissed_by: string | null;
      dismissed_at: Date | null;
    }>(
      `SELECT id, label, best_score, raised_frame_index, raised_at, state, acknowledged_by, acknowledged_at,
              dismissed_by, dismissed_at
         FROM alerts WHERE procedure_id = $1 ORDER BY raised_at`,
      [procedureId],
    ),
    db.query<{ at: Date; role: 'user' | 'assistant'; text: string; by: string | null }>(
      'SELECT at, role, text, by FROM chat_messages WHERE procedure_id = $1 ORDER BY at, role DESC',
      [procedureId],
    ),
    db.query<{
      at: Date;
      trigger: 'request' | 'flagged' | 'interval';
      outcome: 'parsed' | 'repaired' | 'unparseable' | 'engine-error';
      findings: FrameFindings | null;
      reason: string | null;
      model_id: string;
    }>(
      'SELECT at, trigger, outcome, findings, reason, model_id FROM frame_findings WHERE procedure_id = $1 ORDER BY at',
      [procedureId],
    ),
  ]);
  const ms = (d: Date | null) => (d === null ? null : d.getTime());
  return buildTimeline({
    frames: frames.rows.map((f) => ({
      ptsMs: f.pts_ms,
      atMs: (f.at ?? f.created_at).getTime(),
      ...(f.latency_ms === null ? {} : { latencyMs: f.latency_ms }),
      ...(f.captured_at === null ? {} : { capturedAtMs: Date.parse(f.captured_at) }),
      quality: f.quality,
      detections: f.detections.map((d) => ({ label: d.label, score: d.score, modelId: d.modelId })),
    })),
    frameIndexes: frames.rows.map((f) => f.frame_index),
    endedAtMs: ms(p.ended_at),
    cecumAtMs: ms(p.cecum_reached_at),
    alerts: alerts.rows.map((a) => ({
      id: a.id,
      label: a.label,
      score: a.best_score,
      raisedFrameIndex: a.raised_frame_index,
      raisedAtMs: a.raised_at.getTime(),
      state: a.state,
      acknowledgedBy: a.acknowledged_by,
      acknowledgedAtMs: ms(a.acknowledged_at),
      dismissedBy: a.dismissed_by,
      dismissedAtMs: ms(a.dismissed_at),
    })),
    chat: chat.rows.map((m) => ({ atMs: m.at.getTime(), role: m.role, text: m.text, by: m.by })),
    modelReadings: readings.rows.map((r) => ({
      atMs: r.at.getTime(),
      trigger: r.trigger,
      outcome: r.outcome,
      text: r.findings ? findingsLine(r.findings) : null,
      reason: r.reason,
      modelId: r.model_id,
    })),
  });
}

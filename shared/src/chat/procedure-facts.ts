/**
 * What the chat knows of one procedure, on the procedure's own time axis (ms from its first analysed
 * frame). Each store builds it its own way (the edge from SQLite, the hub from its timeline); the
 * chat reads only this, so the answers are the same in the room and at the hub.
 */
export interface ProcedureFacts {
  procedureId: string;
  /** Wall clock at the axis's 0 (epoch ms), when known: turns axis times into clock times and back. */
  startMs: number | null;
  ended: boolean;
  /** The video source's label and the endoscopist, when known. */
  source: string | null;
  operator: string | null;
  /** From the first analysed frame to one frame past the last. */
  durationMs: number;
  /** Every analysed frame, in axis order: where the scope was, and how good the picture was (0..1). */
  frames: { tMs: number; inBody: boolean; quality: number }[];
  /** Runs of frames in which a model found the same thing, at their best frame. */
  findings: { tMs: number; startMs: number; endMs: number; label: string; score: number }[];
  /** Tracked alerts (one per lesion), in axis order. */
  alerts: { id: string; tMs: number; label: string; score: number; state: string; by: string | null }[];
  /** When the cecum was marked, on the axis. */
  cecumMs: number | null;
  /** From the cecum to the end (or to the last frame while the procedure goes on). */
  withdrawal: { startMs: number; endMs: number } | null;
  /**
   * The latest frame analyses, oldest first (at most 5), as lines of data: the detector's by default,
   * a vision-language model's where a store has them.
   */
  analyses: { tMs: number; text: string }[];
}

/** A frame's quality as one figure, 0..1: sharpness against twice the blur threshold, halved when badly exposed. */
export function qualityFigure(q: { sharpness: number; exposure: string }, minSharpness: number): number {
  const sharp = Math.min(1, q.sharpness / (2 * minSharpness));
  return Math.round((q.exposure === 'ok' ? sharp : sharp / 2) * 1000) / 1000;
}

/** A detector's analysis of one frame as a line of the record. */
export function analysisLine(
  inBody: boolean,
  quality: number,
  detections: { label: string; score: number }[],
): string {
  const found = detections.map((d) => `${d.label} ${d.score.toFixed(2)}`).join(', ');
  return `${inBody ? 'in the body' : 'outside the body'}; quality ${quality.toFixed(2)}; ${found ? `detector: ${found}` : 'detector: nothing'}`;
}

/** One analysed frame as a store reads it. */
export interface RawFrame {
  ptsMs: number;
  /** When it was analysed (epoch ms): the step between frames when their timestamps go back. */
  atMs: number;
  inBody: boolean;
  quality: number;
  detections: { label: string; score: number }[];
}

/** Runs of consecutive indexes where `keep` holds. */
function runs(n: number, keep: (i: number) => boolean): { first: number; last: number }[] {
  const out: { first: number; last: number }[] = [];
  for (let i = 0; i < n; i++) {
    if (!keep(i)) continue;
    const open = out[out.length - 1];
    if (open && open.last === i - 1) open.last = i;
    else out.push({ first: i, last: i });
  }
  return out;
}

export interface RawProcedure {
  procedureId: string;
  startedAtMs: number | null;
  endedAtMs: number | null;
  cecumAtMs: number | null;
  source: string | null;
  operator: string | null;
  frames: RawFrame[];
  alerts: {
    id: string;
    label: string;
    score: number;
    state: string;
    by: string | null;
    raisedAtMs: number;
  }[];
  analyses?: { atMs: number; text: string }[];
}

/**
 * Facts from a store's raw rows (the edge's). The axis follows the frames' timestamps (the step of
 * their presentation times, or of their wall clocks where those go back), as the hub's timeline does.
 */
export function factsFromFrames(raw: RawProcedure): ProcedureFacts {
  const { frames } = raw;
  const times: number[] = [];
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    const prev = frames[i - 1];
    const step = !prev ? 0 : f.ptsMs >= prev.ptsMs ? f.ptsMs - prev.ptsMs : Math.max(0, f.atMs - prev.atMs);
    times.push(prev ? times[i - 1]! + step : 0);
  }
  const last = times[times.length - 1] ?? 0;
  const durationMs = Math.round(frames.length > 1 ? last + last / (frames.length - 1) : 0);
  const zeroMs = frames[0]?.atMs ?? raw.startedAtMs;
  // Wall clock to axis: through the last frame analysed at or before it.
  const axisOf = (wall: number) => {
    let lo = 0;
    let hi = frames.length - 1;
    if (hi < 0 || wall <= frames[0]!.atMs) return 0;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (frames[mid]!.atMs <= wall) lo = mid;
      else hi = mid - 1;
    }
    return Math.min(durationMs, Math.round(times[lo]! + (wall - frames[lo]!.atMs)));
  };
  const findings: ProcedureFacts['findings'] = [];
  const labels = new Set(frames.flatMap((f) => f.detections.map((d) => d.label)));
  for (const label of labels) {
    const best = (i: number) =>
      frames[i]!.detections.reduce<number | undefined>(
        (top, d) => (d.label === label && (top === undefined || d.score > top) ? d.score : top),
        undefined,
      );
    for (const r of runs(frames.length, (i) => best(i) !== undefined)) {
      let top = r.first;
      for (let i = r.first; i <= r.last; i++) if (best(i)! > best(top)!) top = i;
      const endMs = times[r.last + 1] ?? durationMs;
      findings.push({ tMs: times[top]!, startMs: times[r.first]!, endMs, label, score: best(top)! });
    }
  }
  findings.sort((a, b) => a.tMs - b.tMs);
  const cecumMs = raw.cecumAtMs === null ? null : axisOf(raw.cecumAtMs);
  return {
    procedureId: raw.procedureId,
    startMs: zeroMs,
    ended: raw.endedAtMs !== null,
    source: raw.source,
    operator: raw.operator,
    durationMs,
    frames: frames.map((f, i) => ({ tMs: times[i]!, inBody: f.inBody, quality: f.quality })),
    findings,
    alerts: raw.alerts
      .map((a) => ({ ...a, tMs: axisOf(a.raisedAtMs) }))
      .map(({ raisedAtMs: _, ...a }) => a)
      .sort((a, b) => a.tMs - b.tMs),
    cecumMs,
    withdrawal:
      cecumMs === null
        ? null
        : { startMs: cecumMs, endMs: raw.endedAtMs === null ? durationMs : axisOf(raw.endedAtMs) },
    analyses: raw.analyses
      ? raw.analyses.slice(-5).map((a) => ({ tMs: axisOf(a.atMs), text: a.text }))
      : frames.slice(-5).map((f, i, last) => ({
          tMs: times[frames.length - last.length + i]!,
          text: analysisLine(f.inBody, f.quality, f.detections),
        })),
  };
}

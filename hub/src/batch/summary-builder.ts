import type { Box, FrameAnalysis } from '@gic/shared/messages/events.js';

/** `GET /api/v1/videos/{id}/summary`. Times are ms from the start of the video. */
export interface VideoSummary {
  findings: { tMs: number; kind: string; score: number; box: Box }[];
  quality: { tMs: number; score: number }[];
  /** From reaching the cecum to the end of the last in-body stretch; null when the cecum is not known. */
  withdrawalMs: number | null;
  phases: { name: 'out-of-body' | 'in-body' | 'insertion' | 'withdrawal'; startMs: number; endMs: number }[];
  notes: { text: string; source: 'vlm' | 'data' };
}

/** A detection more than this far (ms) from the last of its kind starts a new finding. */
const FINDING_GAP_MS = 2000;

/**
 * A frame's quality as one number, 0..1: 0 outside the body; in it, 1 for a sharp, well exposed view,
 * less for blur (x0.4) and bad exposure (x0.6). Coarse on purpose: it charts where the view was usable.
 */
export function qualityScore(q: FrameAnalysis['quality']): number {
  if (!q.inBody) return 0;
  return Math.round((q.blurred ? 0.4 : 1) * (q.exposure === 'ok' ? 1 : 0.6) * 100) / 100;
}

/** Detections grouped into findings: one per run of the same label, at its best-scoring frame. */
export function groupFindings(
  analyses: Pick<FrameAnalysis, 'ptsMs' | 'detections'>[],
): VideoSummary['findings'] {
  const open = new Map<string, { lastMs: number; best: VideoSummary['findings'][number] }>();
  const done: VideoSummary['findings'] = [];
  for (const a of analyses) {
    for (const d of a.detections) {
      const current = open.get(d.label);
      if (current && a.ptsMs - current.lastMs <= FINDING_GAP_MS) {
        current.lastMs = a.ptsMs;
        if (d.score > current.best.score)
          current.best = { tMs: a.ptsMs, kind: d.label, score: d.score, box: d.box };
      } else {
        if (current) done.push(current.best);
        open.set(d.label, {
          lastMs: a.ptsMs,
          best: { tMs: a.ptsMs, kind: d.label, score: d.score, box: d.box },
        });
      }
    }
  }
  for (const c of open.values()) done.push(c.best);
  return done.sort((a, b) => a.tMs - b.tMs);
}

/** Stretches of in-body and out-of-body frames; with the cecum known, in-body splits into insertion and withdrawal. */
export function phasesOf(
  analyses: Pick<FrameAnalysis, 'ptsMs' | 'quality'>[],
  durationMs: number,
  cecumMs: number | null,
): VideoSummary['phases'] {
  const phases: VideoSummary['phases'] = [];
  for (let i = 0; i < analyses.length; i++) {
    const a = analyses[i]!;
    const name = a.quality.inBody ? 'in-body' : 'out-of-body';
    const end = i + 1 < analyses.length ? analyses[i + 1]!.ptsMs : Math.max(durationMs, a.ptsMs);
    const last = phases.at(-1);
    if (last?.name === name) last.endMs = end;
    else phases.push({ name, startMs: i === 0 ? 0 : a.ptsMs, endMs: end });
  }
  if (cecumMs === null) return phases;
  return phases.flatMap((p) => {
    if (p.name !== 'in-body') return [p];
    if (cecumMs >= p.endMs) return [{ ...p, name: 'insertion' as const }];
    if (cecumMs <= p.startMs) return [{ ...p, name: 'withdrawal' as const }];
    return [
      { name: 'insertion' as const, startMs: p.startMs, endMs: cecumMs },
      { name: 'withdrawal' as const, startMs: cecumMs, endMs: p.endMs },
    ];
  });
}

const minutes = (ms: number) => `${(ms / 60_000).toFixed(1)} min`;

/** Teaching notes built from the numbers alone, saying so (no vision-language model runs on the hub). */
export function dataNotes(s: Omit<VideoSummary, 'notes'>, analysed: number, durationMs: number): string {
  const inBodyMs = s.phases
    .filter((p) => p.name !== 'out-of-body')
    .reduce((t, p) => t + p.endMs - p.startMs, 0);
  const usable = s.quality.filter((q) => q.score >= 0.9).length;
  const lines = [
    'No vision-language model is installed on this hub: these notes are built from the analysis data only.',
    `${analysed} frames were analysed over ${minutes(durationMs)}; the scope was in the body for ${minutes(inBodyMs)}.`,
    `${usable} of ${s.quality.length} analysed frames had a sharp, well exposed view.`,
    s.findings.length
      ? `${s.findings.length} finding(s): ${s.findings.map((f) => `${f.kind} at ${(f.tMs / 1000).toFixed(1)} s (score ${f.score.toFixed(2)})`).join('; ')}.`
      : 'No findings were detected (or no finding model is installed).',
    s.withdrawalMs === null
      ? 'Withdrawal time is unknown: the cecum was not marked.'
      : `Withdrawal took ${minutes(s.withdrawalMs)}${s.withdrawalMs < 6 * 60_000 ? ', under the 6 minutes quality guidelines ask for' : ''}.`,
  ];
  return lines.join('\n');
}

/** The summary of a processed video from its analyses (in time order). */
export function buildSummary(
  analyses: FrameAnalysis[],
  durationMs: number,
  cecumMs: number | null,
): VideoSummary {
  const sorted = [...analyses].sort((a, b) => a.ptsMs - b.ptsMs);
  const phases = phasesOf(sorted, durationMs, cecumMs);
  const lastInBody = [...phases].reverse().find((p) => p.name !== 'out-of-body');
  const withdrawalMs =
    cecumMs !== null && lastInBody && lastInBody.endMs > cecumMs ? lastInBody.endMs - cecumMs : null;
  const base = {
    findings: groupFindings(sorted),
    quality: sorted.map((a) => ({ tMs: a.ptsMs, score: qualityScore(a.quality) })),
    withdrawalMs,
    phases,
  };
  return { ...base, notes: { text: dataNotes(base, sorted.length, durationMs), source: 'data' } };
}

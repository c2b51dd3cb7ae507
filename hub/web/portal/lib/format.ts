import type { ProcedureSummary } from '../../../src/procedures/procedure-view-types.js';

/** Milliseconds as m:ss (h:mm:ss past an hour). */
export function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60));
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${mm.padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

export const withdrawal = (seconds: number | null) =>
  seconds === null ? '-' : `${Math.floor(seconds / 60)} min ${Math.floor(seconds % 60)} s`;

export const startedBy = (p: ProcedureSummary) =>
  p.operator ? p.operator + (p.startTrigger ? ` (${p.startTrigger})` : '') : p.startTrigger || '-';

export const recordingLine = (p: ProcedureSummary) =>
  p.recording
    ? `${p.recording.available}/${p.recording.segments} segment(s) verified, ${(p.recording.sizeBytes / 1e6).toFixed(1)} MB`
    : '-';

export const percent = (v: number) => `${Math.round(v * 100)}%`;

import type { LiveState, RecordingState } from './live-types.js';

/** Seconds as mm:ss. */
export function clock(seconds: number): string {
  // A procedure that began after the screen's last tick (or on a box whose clock is a little ahead of
  // the screen's) is a few hundred milliseconds "in the future": it reads 00:00, never -1:-1.
  const s = Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, '0')}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

/** Bytes as the screen says them: kB (rounded up) below a megabyte, MB with one decimal above. */
export function size(bytes: number): string {
  return bytes < 1e6 ? `${Math.ceil(bytes / 1e3)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

export const RECORDED: Record<RecordingState, string> = {
  none: 'no video recorded',
  recording: 'being written',
  sealed: 'sealed, waiting to upload',
  uploading: 'uploading to the hub',
  verified: 'verified at the hub',
  failed: 'FAILED (see the box log)',
};

/** A live source whose frames are not being analysed is never shown as live. */
export function isStalled(s: LiveState): boolean {
  return s.analysis?.state === 'stalled';
}

/** The banner's lines: every reason the screen cannot be trusted as it stands. */
export function problems(s: LiveState): string[] {
  const out: string[] = [];
  if (s.source.state === 'no-signal') out.push(`NO SIGNAL: ${s.source.message || 'video source lost'}`);
  if (isStalled(s)) out.push(`ANALYSIS STALLED: ${s.analysis?.message} (restart ${s.analysis?.restarts})`);
  for (const m of s.latest?.modelsOff ?? []) out.push(`MODEL OFF: ${m.id} - ${m.reason}`);
  if (s.disk?.warning) out.push(`DISK LOW: ${s.disk.warning}`);
  if (s.recorder?.error) out.push(`RECORDING FAILED: ${s.recorder.error}`);
  return out;
}

/** `kind: label (state)` as the header shows the source. */
export function sourceLine(s: LiveState): string {
  return `${s.source.kind}: ${s.source.label} (${isStalled(s) ? 'analysis stalled' : s.source.state})`;
}

/** What the procedure line says beside its label. */
export function procedureState(s: LiveState): string {
  const p = s.procedure;
  if (p && !p.endedAt) {
    const by = { auto: 'started by itself', finding: 'started by a finding', operator: '' }[p.trigger];
    return `(${by || `started by ${p.operator || 'the screen'}`})`;
  }
  if (s.procedurePending) return '(starting: scope in the body)';
  return p ? '(ended)' : '(none yet)';
}

/** Under an ended source: what was recorded of the last procedure. */
export function recordedLine(s: LiveState, now: number): string {
  const p = s.procedure;
  if (!p) return 'No procedure was recorded.';
  const r = s.recorded;
  const length = clock((new Date(p.endedAt ?? now).getTime() - new Date(p.startedAt).getTime()) / 1000);
  const video = r ? `; video: ${r.segments} segment(s), ${size(r.bytes)}, ${RECORDED[r.state]}` : '';
  return `Procedure ${length}, ${p.frames} frames${video}.`;
}

/** The hub sync line. */
export function syncLine(s: LiveState): string {
  const y = s.sync;
  const upload = y.upload ? `, upload ${y.upload.status} ${y.upload.partsDone}/${y.upload.partCount}` : '';
  return `${y.connected ? 'connected' : 'offline'}, ${y.pendingEvents} pending${upload}`;
}

import { syncLine } from '../format.js';
import type { LiveState } from '../live-types.js';

/** The analysis in figures: frames, rate, latency, quality, view, masking, findings, models, sync. */
export function LiveStats({ live }: { live: LiveState | null }) {
  const a = live?.latest ?? null;
  const q = a?.quality;
  const p = live?.procedure;
  return (
    <dl>
      <dt>Frames analysed</dt>
      <dd id="frames">{live?.framesAnalysed ?? 0}</dd>
      <dt>In procedure</dt>
      <dd id="procedure-frames">{p ? p.frames : '-'}</dd>
      <dt>Analysis rate</dt>
      <dd id="fps">{live ? `${live.analysisFps} fps` : '-'}</dd>
      <dt>Latency</dt>
      <dd id="latency">{a ? `${a.latencyMs.toFixed(0)} ms` : '-'}</dd>
      <dt>Quality</dt>
      <dd id="quality">
        {q ? (
          <span class={q.blurred || q.exposure !== 'ok' ? 'warn' : 'ok'}>
            {`${q.blurred ? 'blurred' : 'sharp'}, exposure ${q.exposure}`}
          </span>
        ) : (
          '-'
        )}
      </dd>
      <dt>View</dt>
      <dd id="inbody">{q ? (q.inBody ? 'in body' : 'outside body') : '-'}</dd>
      <dt>Text masked</dt>
      <dd id="privacy">
        {a ? `${a.privacyRegions.filter((r) => r.recognised !== false).length} region(s)` : '-'}
      </dd>
      <dt>Findings</dt>
      <dd id="findings">{a ? String(a.detections.length) : '-'}</dd>
      <dt>Models</dt>
      <dd id="models">
        {a ? a.models.map((m) => `${m.id} ${m.version} [${m.executionProvider}]`).join(', ') || 'none' : '-'}
      </dd>
      <dt>Hub sync</dt>
      <dd id="sync" class={live ? (live.sync.connected ? 'ok' : 'warn') : undefined}>
        {live ? syncLine(live) : '-'}
      </dd>
    </dl>
  );
}

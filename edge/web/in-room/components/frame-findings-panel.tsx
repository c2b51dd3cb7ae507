import { useState } from 'preact/hooks';
import { errorOf } from '../api.js';
import type { FrameFindingsState, VlmFindings } from '../live-types.js';

const TRIGGERS = { request: 'asked for', flagged: 'detector flagged', interval: 'routine' } as const;

/** The findings in one line each: what, where, size and classes, preparation, the scene. */
function lines(f: VlmFindings): string[] {
  const what = f.finding ?? (f.findingType === 'none' ? 'no finding' : f.findingType);
  const classes = [f.paris && `Paris ${f.paris}`, f.nice && `NICE ${f.nice}`].filter(Boolean).join(', ');
  const scene = [
    f.scene.light,
    f.scene.dye && 'dye',
    f.scene.instrument !== 'none' && `${f.scene.instrument} in view`,
    f.scene.flushing && 'flushing',
    f.scene.occluded && 'view occluded',
    f.scene.outsidePatient && 'outside the patient',
  ].filter(Boolean);
  return [
    `${what}${f.location !== 'unknown' ? `, ${f.location}` : ''}${f.sizeMm !== null ? `, about ${f.sizeMm} mm` : ''}`,
    ...(classes ? [classes] : []),
    ...(f.bowelPrep !== null ? [`Bowel preparation (Boston, segment): ${f.bowelPrep}`] : []),
    `Image ${f.imageQuality.usable ? 'usable' : 'not usable'}${f.imageQuality.remarks.length ? `: ${f.imageQuality.remarks.join(', ')}` : ''}`,
    `Scene: ${scene.join(', ')}`,
  ];
}

/** The parse rate after repair, with its counts. */
export function parseRateLine(s: FrameFindingsState): string {
  const { parsed, repaired, unparseable } = s.counts;
  const answered = parsed + repaired + unparseable;
  if (s.parseRate === null) return 'no answers yet';
  return `${(s.parseRate * 100).toFixed(1)}% of ${answered} (${repaired} after repair, ${unparseable} unusable, ${s.counts['engine-error']} model errors)`;
}

/**
 * The VLM's reading of recent frames (flagged by the detector, routine, or asked for here), marked as
 * AI-generated and educational, with the parse rate. The model saw the masked frame.
 */
export function FrameFindingsPanel({ state }: { state: FrameFindingsState | undefined }) {
  const [message, setMessage] = useState('');
  if (!state) return null;
  const latest = state.latest;
  const ask = async () => {
    setMessage('');
    const res = await fetch('/api/v1/realtime/vlm-analysis', { method: 'POST' });
    setMessage(res.ok ? 'asked: the answer appears here' : await errorOf(res));
  };
  return (
    <section id="frame-findings" class="panel">
      <div class="label">Frame analysis by the model</div>
      <p class="chat-notice" role="note">
        {state.notice}
      </p>
      {state.state === 'off' ? (
        <p id="frame-findings-off" class="warn">{`Off: ${state.reason ?? 'no model'}`}</p>
      ) : (
        <>
          <div id="frame-findings-latest">
            {latest ? (
              <>
                <div class="label">{`${new Date(latest.at).toLocaleTimeString()}, ${TRIGGERS[latest.trigger]}, ${(latest.ms / 1000).toFixed(1)} s`}</div>
                {latest.findings ? (
                  <ul>
                    {lines(latest.findings).map((l) => (
                      <li key={l}>{l}</li>
                    ))}
                  </ul>
                ) : (
                  <p class="warn">{`No usable answer: ${latest.reason ?? latest.outcome}`}</p>
                )}
              </>
            ) : (
              <p>No frame analysed yet.</p>
            )}
          </div>
          <div class="actions">
            <button type="button" id="frame-findings-ask" disabled={state.busy} onClick={() => void ask()}>
              {state.busy ? 'Analysing…' : 'Analyse this frame'}
            </button>
          </div>
          {message && <p class="label">{message}</p>}
        </>
      )}
      <p id="frame-findings-rate" class="label">{`Parse rate: ${parseRateLine(state)}`}</p>
    </section>
  );
}

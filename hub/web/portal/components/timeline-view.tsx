import type { Timeline } from '../../../src/procedures/procedure-view-types.js';
import { clock, percent } from '../lib/format.js';

type Seek = (timelineMs: number) => void;

const at = (ms: number, total: number) => `${Math.min(100, Math.max(0, (ms / Math.max(1, total)) * 100))}%`;
const span = (startMs: number, endMs: number, total: number) => ({
  left: at(startMs, total),
  width: at(Math.max(0, endMs - startMs), total),
});

function alertWho(a: Timeline['alerts'][number]): string {
  if (a.acknowledgedBy) return `acknowledged by ${a.acknowledgedBy}`;
  if (a.dismissedBy) return `dismissed by ${a.dismissedBy}`;
  return a.state === 'active' ? 'not acted on' : a.state;
}

/**
 * The procedure on one axis under the video: in/out of body and the withdrawal phase as bands,
 * findings, alerts, landmarks and chat messages as marks, and the playing position. Every mark (and
 * every line of the lists under it) is a button that seeks the video to its time.
 */
export function TimelineView({
  timeline,
  positionMs,
  onSeek,
}: {
  timeline: Timeline;
  positionMs: number;
  onSeek: Seek;
}) {
  const total = timeline.durationMs;
  const mark = (key: string, tMs: number, cls: string, title: string, label: string) => (
    <button
      key={key}
      type="button"
      class={`mark ${cls}`}
      style={{ left: at(tMs, total) }}
      title={`${title} at ${clock(tMs)}`}
      aria-label={`${title} at ${clock(tMs)}`}
      data-t-ms={String(Math.round(tMs))}
      onClick={() => onSeek(tMs)}
    >
      {label}
    </button>
  );
  return (
    <section class="timeline" id="timeline" aria-label="timeline">
      <div class="track" data-track="phases">
        <span class="track-label">Body / withdrawal</span>
        <div class="lane">
          {timeline.inBody.map((r) => (
            <div key={`b${r.startMs}`} class="band in-body" style={span(r.startMs, r.endMs, total)} />
          ))}
          {timeline.withdrawal && (
            <div
              class="band withdrawal"
              style={span(timeline.withdrawal.startMs, timeline.withdrawal.endMs, total)}
              title={`withdrawal ${clock(timeline.withdrawal.endMs - timeline.withdrawal.startMs)}`}
            />
          )}
          {timeline.landmarks.map((l) => mark(`l${l.tMs}`, l.tMs, 'landmark', l.name, 'C'))}
        </div>
      </div>
      <div class="track" data-track="findings">
        <span class="track-label">Findings</span>
        <div class="lane">
          {timeline.findings.map((f) =>
            mark(`f${f.tMs}${f.label}`, f.tMs, 'finding', `${f.label} ${percent(f.score)}`, '◆'),
          )}
        </div>
      </div>
      <div class="track" data-track="alerts">
        <span class="track-label">Alerts</span>
        <div class="lane">
          {timeline.alerts.map((a) =>
            mark(`a${a.id}`, a.tMs, `alert ${a.state}`, `${a.label} alert, ${alertWho(a)}`, '!'),
          )}
        </div>
      </div>
      <div class="track" data-track="chat">
        <span class="track-label">Chat</span>
        <div class="lane">
          {timeline.chat.map((m, i) =>
            mark(`c${i}`, m.tMs, `chat ${m.role}`, `${m.role}: ${m.text.slice(0, 60)}`, '•'),
          )}
        </div>
      </div>
      {timeline.modelReadings && timeline.modelReadings.length > 0 && (
        <div class="track" data-track="model">
          <span class="track-label">Model (AI)</span>
          <div class="lane">
            {timeline.modelReadings.map((r, i) =>
              mark(
                `m${i}`,
                r.tMs,
                `model ${r.outcome}`,
                `AI-generated, educational, not a diagnosis: ${r.text ?? `no usable answer (${r.reason ?? r.outcome})`}`,
                'M',
              ),
            )}
          </div>
        </div>
      )}
      <div class="axis">
        <span>0:00</span>
        <div class="playhead" id="playhead" style={{ left: at(positionMs, total) }} />
        <span>{clock(total)}</span>
      </div>
      <div class="lists">
        <div>
          <h3>Findings</h3>
          <ul id="finding-list">
            {timeline.findings.map((f) => (
              <li key={`${f.tMs}${f.label}`}>
                <button
                  type="button"
                  class="link"
                  data-t-ms={String(Math.round(f.tMs))}
                  onClick={() => onSeek(f.tMs)}
                >
                  {`${clock(f.tMs)} ${f.label} ${percent(f.score)} (${clock(f.endMs - f.startMs)} seen)`}
                </button>
              </li>
            ))}
            {timeline.findings.length === 0 && <li class="muted">No finding in this procedure.</li>}
          </ul>
        </div>
        <div>
          <h3>Alerts</h3>
          <ul id="alert-list">
            {timeline.alerts.map((a) => (
              <li key={a.id} data-alert-id={a.id}>
                <button type="button" class="link" onClick={() => onSeek(a.tMs)}>
                  {`${clock(a.tMs)} ${a.label} ${percent(a.score)}: ${alertWho(a)}`}
                </button>
              </li>
            ))}
            {timeline.alerts.length === 0 && <li class="muted">No alert was raised.</li>}
          </ul>
          <h3>Landmarks</h3>
          <ul>
            {timeline.landmarks.map((l) => (
              <li key={l.tMs}>
                <button type="button" class="link" onClick={() => onSeek(l.tMs)}>
                  {`${clock(l.tMs)} ${l.name} reached`}
                </button>
              </li>
            ))}
            {timeline.landmarks.length === 0 && <li class="muted">No landmark marked.</li>}
          </ul>
        </div>
        <div>
          <h3>Chat</h3>
          <ul id="chat-list">
            {timeline.chat.map((m, i) => (
              <li key={String(i)} class={m.role}>
                <button type="button" class="link" onClick={() => onSeek(m.tMs)}>
                  {`${clock(m.tMs)} ${m.by ?? m.role}: ${m.text}`}
                </button>
              </li>
            ))}
            {timeline.chat.length === 0 && <li class="muted">No chat message.</li>}
          </ul>
        </div>
      </div>
    </section>
  );
}

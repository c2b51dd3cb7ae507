import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, describeError, type Session } from '../lib/api.js';
import { clock, percent } from '../lib/format.js';
import { type KeyFrame, type VideoSummary, videoPath } from '../lib/video-api.js';

type Load<T> = { value: T } | { problem: string } | null;

function useVideoResource<T>(session: Session, path: string, missing: string): Load<T> {
  const [state, setState] = useState<Load<T>>(null);
  useEffect(() => {
    let live = true;
    api<T>(session, path)
      .then((value) => live && setState({ value }))
      .catch(
        (err) =>
          live &&
          setState({ problem: err instanceof ApiError && err.status === 404 ? missing : describeError(err) }),
      );
    return () => {
      live = false;
    };
  }, [session, path, missing]);
  return state;
}

/** The processing's summary: findings, withdrawal time, phases and the educational notes (and their source). */
export function SummaryPanel({ session, id }: { session: Session; id: string }) {
  const summary = useVideoResource<VideoSummary>(
    session,
    videoPath(id, '/summary'),
    'No summary yet: the procedure has not been processed (or this hub has no video API: 404).',
  );
  return (
    <section class="card" id="summary" aria-label="summary">
      <h3>Summary</h3>
      {summary === null && <p class="muted">Loading…</p>}
      {summary && 'problem' in summary && <p class="notice">{summary.problem}</p>}
      {summary && 'value' in summary && (
        <>
          <p>
            {`${summary.value.findings.length} finding(s); withdrawal ${summary.value.withdrawalMs === null ? 'not measured' : clock(summary.value.withdrawalMs)}`}
          </p>
          <ul>
            {summary.value.phases.map((p) => (
              <li key={`${p.name}${p.startMs}`}>{`${p.name}: ${clock(p.startMs)}-${clock(p.endMs)}`}</li>
            ))}
          </ul>
          <p class="notes">{summary.value.notes.text}</p>
          <p class="muted">
            {summary.value.notes.source === 'vlm'
              ? 'Notes written by the vision-language model.'
              : 'Notes built from the data (no vision-language model installed).'}
          </p>
          <ul>
            {summary.value.findings.slice(0, 20).map((f) => (
              <li key={`${f.tMs}${f.kind}`}>{`${clock(f.tMs)} ${f.kind} ${percent(f.score)}`}</li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/** The key frames (masked JPEGs, presigned), as a strip: a click seeks the video there. */
export function KeyFrameStrip({
  session,
  id,
  onSeek,
}: {
  session: Session;
  id: string;
  onSeek: (timelineMs: number) => void;
}) {
  const frames = useVideoResource<KeyFrame[]>(
    session,
    videoPath(id, '/keyframes'),
    'No key frames yet: they come from processing (or this hub has no video API: 404).',
  );
  return (
    <section class="keyframes" id="keyframes" aria-label="key frames">
      {frames && 'problem' in frames && <p class="notice">{frames.problem}</p>}
      {frames &&
        'value' in frames &&
        frames.value.map((f) => (
          <button key={f.tMs} type="button" class="thumb" onClick={() => onSeek(f.tMs)} title={clock(f.tMs)}>
            <img src={f.url} alt={`key frame at ${clock(f.tMs)}`} loading="lazy" />
            <span>{clock(f.tMs)}</span>
          </button>
        ))}
    </section>
  );
}

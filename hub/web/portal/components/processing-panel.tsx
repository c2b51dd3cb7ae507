import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, describeError, request, type Session } from '../lib/api.js';
import { readEvents } from '../lib/sse.js';
import { type ProcessingStatus, videoPath } from '../lib/video-api.js';

const RETRY_MS = 5000;

/**
 * The procedure's batch processing: state, progress per stage and ETA, live from the hub's event
 * stream (read with fetch: EventSource cannot send the bearer token), and the buttons that start
 * (or re-run) and cancel it.
 */
export function ProcessingPanel({ session, id }: { session: Session; id: string }) {
  const [status, setStatus] = useState<ProcessingStatus | null>(null);
  const [problem, setProblem] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const abort = new AbortController();
    let retry: ReturnType<typeof setTimeout> | undefined;
    const follow = async () => {
      try {
        setStatus(await api<ProcessingStatus>(session, videoPath(id, '/status')));
        setProblem('');
        const res = await request(session, videoPath(id, '/events'), { signal: abort.signal });
        await readEvents(
          res,
          (e) => {
            if (e.event === 'status') setStatus(JSON.parse(e.data) as ProcessingStatus);
          },
          abort.signal,
        );
      } catch (err) {
        if (abort.signal.aborted) return;
        setProblem(
          err instanceof ApiError && err.status === 404
            ? 'Processing is not available on this hub (the video API answers 404).'
            : `Processing status unavailable: ${describeError(err)}`,
        );
      }
      // The stream ended or failed: follow again in a while (a restarted hub, a dropped connection).
      if (!abort.signal.aborted) retry = setTimeout(follow, RETRY_MS);
    };
    follow();
    return () => {
      abort.abort();
      clearTimeout(retry);
    };
  }, [session, id]);

  const act = async (verb: 'process' | 'cancel') => {
    setBusy(true);
    try {
      await request(session, videoPath(id, `/${verb}`), { method: 'POST', body: '{}' });
      setProblem('');
    } catch (err) {
      setProblem(`Could not ${verb}: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  };
  const running = status?.state === 'waiting' || status?.state === 'active';

  return (
    <section class="card" id="processing" aria-label="processing">
      <h3>Processing</h3>
      {status && (
        <>
          <p id="processing-state">
            {`${status.state}${status.stage ? `, ${status.stage}` : ''}: ${Math.round(status.progress)}%`}
            {status.etaSeconds !== null && running ? `, about ${Math.ceil(status.etaSeconds)} s left` : ''}
          </p>
          <progress max={100} value={status.progress} />
          <ul class="stages">
            {status.stages.map((s) => (
              <li
                key={s.name}
              >{`${s.name}: ${s.state} ${Math.round(s.progress)}%${s.error ? ` (${s.error})` : ''}`}</li>
            ))}
          </ul>
        </>
      )}
      {problem && (
        <p class="notice" id="processing-problem">
          {problem}
        </p>
      )}
      <div class="buttons">
        <button
          type="button"
          id="process"
          disabled={busy || running || !status}
          onClick={() => act('process')}
        >
          {status && status.state !== 'none' ? 'Process again' : 'Process'}
        </button>
        <button type="button" class="secondary" disabled={busy || !running} onClick={() => act('cancel')}>
          Cancel
        </button>
      </div>
    </section>
  );
}

import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, api, describeError, request, type Session } from '../lib/api.js';
import { type ExportPurpose, type ExportState, videoPath } from '../lib/video-api.js';

const POLL_MS = 2000;

/** Who may build exports (the hub's exports.create); others (trainees) download teaching exports. */
const BUILDERS = ['admin', 'reviewer'];

/**
 * The de-identified export bundle, clinical or teaching: its state, a button that asks for it, and
 * once ready a download through the short-lived presigned URL the hub gives (fetched fresh when
 * clicked). A trainee sees the teaching export only, and cannot build one.
 */
export function ExportPanel({ session, id }: { session: Session; id: string }) {
  const builds = BUILDERS.includes(session.role);
  const [purpose, setPurpose] = useState<ExportPurpose>(builds ? 'clinical' : 'teaching');
  const [state, setState] = useState<ExportState | null>(null);
  const [problem, setProblem] = useState('');
  const path = videoPath(id, `/export?purpose=${purpose}`);

  const load = useCallback(async () => {
    try {
      setState(await api<ExportState>(session, path));
      setProblem('');
    } catch (err) {
      setState(null);
      setProblem(
        err instanceof ApiError && err.status === 404
          ? 'Export is not available on this hub (the video API answers 404).'
          : `Export state unavailable: ${describeError(err)}`,
      );
    }
  }, [session, path]);
  useEffect(() => {
    load();
    const t = setInterval(load, POLL_MS);
    return () => clearInterval(t);
  }, [load]);

  const start = async () => {
    try {
      await request(session, videoPath(id, '/export'), {
        method: 'POST',
        body: JSON.stringify({ purpose }),
      });
      await load();
    } catch (err) {
      setProblem(`Could not export: ${describeError(err)}`);
    }
  };
  const download = async () => {
    // The URL in hand may have expired: ask for a fresh one, then let the browser fetch it.
    const fresh = await api<ExportState>(session, path).catch(() => null);
    if (fresh?.url) location.assign(fresh.url);
  };
  const working = state?.state === 'waiting' || state?.state === 'active';

  return (
    <section class="card" id="export" aria-label="export">
      <h3>Export</h3>
      {builds ? (
        <fieldset class="purpose" aria-label="export purpose">
          {(['clinical', 'teaching'] as const).map((p) => (
            <label key={p}>
              <input
                type="radio"
                name="export-purpose"
                value={p}
                checked={purpose === p}
                onChange={() => setPurpose(p)}
              />
              {p === 'clinical' ? 'Clinical' : 'Teaching (no room conversation, no device names)'}
            </label>
          ))}
        </fieldset>
      ) : (
        <p class="muted">Teaching export: de-identified, for trainees.</p>
      )}
      <p id="export-state">
        {state
          ? state.state === 'ready'
            ? `Ready: ${((state.bytes ?? 0) / 1e6).toFixed(1)} MB, SHA-256 ${state.sha256?.slice(0, 12) ?? '?'}…`
            : state.state === 'failed'
              ? `Failed: ${state.error ?? 'no reason given'}`
              : state.state === 'none'
                ? 'Not exported yet.'
                : `Export ${state.state}…`
          : ''}
      </p>
      {problem && (
        <p class="notice" id="export-problem">
          {problem}
        </p>
      )}
      <div class="buttons">
        {builds && (
          <button type="button" id="export-button" disabled={!state || working} onClick={start}>
            {state?.state === 'ready' ? 'Export again' : 'Export'}
          </button>
        )}
        <button type="button" id="download" disabled={state?.state !== 'ready'} onClick={download}>
          Download
        </button>
      </div>
    </section>
  );
}

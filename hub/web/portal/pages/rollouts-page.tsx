import { useCallback, useEffect, useState } from 'preact/hooks';
import { RolloutForm } from '../components/rollout-form.js';
import { RolloutProgress } from '../components/rollout-progress.js';
import { api, describeError, type Session } from '../lib/api.js';
import { ago } from '../lib/fleet-api.js';
import { isLive, type RolloutSummary } from '../lib/rollout-api.js';
import { rolloutHref } from '../lib/route.js';

/** While a rollout may still move (ms); otherwise a slower look for new ones. */
const LIVE_REFRESH_MS = 3000;
const REFRESH_MS = 15_000;

/** Model rollouts, newest first: model and version, status and stage, devices by state; and starting one. */
export function RolloutsPage({ session }: { session: Session }) {
  const [items, setItems] = useState<RolloutSummary[] | null>(null);
  const [problem, setProblem] = useState('');
  const [starting, setStarting] = useState(false);

  const load = useCallback(async () => {
    try {
      setItems((await api<{ items: RolloutSummary[] }>(session, '/api/v1/rollouts')).items);
      setProblem('');
    } catch (err) {
      setProblem(describeError(err));
    }
  }, [session]);
  const live = (items ?? []).some(isLive);
  useEffect(() => {
    load();
    const t = setInterval(load, live ? LIVE_REFRESH_MS : REFRESH_MS);
    return () => clearInterval(t);
  }, [load, live]);

  return (
    <section id="rollouts">
      <h2>Model rollouts</h2>
      <div class="actions">
        <button type="button" id="rollout-new" onClick={() => setStarting(!starting)}>
          {starting ? 'Close' : 'Start a rollout'}
        </button>
      </div>
      {starting && <RolloutForm session={session} />}
      {problem && (
        <p class="notice" id="rollouts-problem">
          {problem}
        </p>
      )}
      {items && items.length === 0 && <p id="rollouts-empty">No rollout yet.</p>}
      {items && items.length > 0 && (
        <table id="rollouts-table">
          <thead>
            <tr>
              <th>Model</th>
              <th>Version</th>
              <th>Devices</th>
              <th>Status</th>
              <th>Stage</th>
              <th>Progress</th>
              <th>Started</th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.id} data-rollout={r.id} data-status={r.status}>
                <td>
                  <a href={rolloutHref(r.id)}>{r.modelId}</a>
                </td>
                <td>{r.version}</td>
                <td>{r.tag ? `tag ${r.tag}` : 'every device'}</td>
                <td class="rollout-status">
                  <span class={`state rollout-${r.status}`}>{r.status}</span>
                  {r.reason && <div class="muted">{r.reason}</div>}
                </td>
                <td>{r.stage}</td>
                <td class="rollout-progress-cell">
                  <RolloutProgress counts={r.counts} />
                </td>
                <td>
                  {ago(r.createdAt)}
                  <div class="muted">{r.createdBy}</div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

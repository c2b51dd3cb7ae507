import { useCallback, useEffect, useState } from 'preact/hooks';
import { RolloutProgress } from '../components/rollout-progress.js';
import { api, describeError, type Session } from '../lib/api.js';
import { ago } from '../lib/fleet-api.js';
import { canDo, isLive, type RolloutAction, type RolloutDetail } from '../lib/rollout-api.js';
import { deviceHref } from '../lib/route.js';

/** While the rollout may still move (ms): the driver moves it along every few seconds. */
const LIVE_REFRESH_MS = 2000;

const ACTIONS: { action: RolloutAction; label: string; ask?: string }[] = [
  { action: 'pause', label: 'Pause' },
  { action: 'resume', label: 'Resume' },
  {
    action: 'rollback',
    label: 'Roll back',
    ask: 'Roll back? Every device that took this version puts back the one it kept.',
  },
];

/**
 * One rollout: its status and stage, its devices by state, and each device with its stage (canary or
 * percentage), position and state (a failure with its reason); paused, resumed or rolled back (asked
 * first) from here. Refreshes every 2 s while it may still move.
 */
export function RolloutPage({ session, id }: { session: Session; id: string }) {
  const [rollout, setRollout] = useState<RolloutDetail | null>(null);
  const [problem, setProblem] = useState('');
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      setRollout(await api<RolloutDetail>(session, `/api/v1/rollouts/${id}`));
      setProblem('');
    } catch (err) {
      setProblem(describeError(err));
    }
  }, [session, id]);
  const live = rollout === null || isLive(rollout);
  useEffect(() => {
    load();
    if (!live) return;
    const t = setInterval(load, LIVE_REFRESH_MS);
    return () => clearInterval(t);
  }, [load, live]);

  const act = async (action: RolloutAction, ask?: string) => {
    if (ask && !confirm(ask)) return;
    setBusy(true);
    try {
      await api(session, `/api/v1/rollouts/${id}/${action}`, { method: 'POST', body: '{}' });
      await load();
    } catch (err) {
      // 409: another operator (or the driver) changed it meanwhile; the reload shows how.
      setProblem(describeError(err));
      await load();
    } finally {
      setBusy(false);
    }
  };

  return (
    <section id="rollout">
      <p>
        <a href="#/rollouts">← Rollouts</a>
      </p>
      {problem && (
        <p class="notice" id="rollout-problem">
          {problem}
        </p>
      )}
      {rollout && (
        <>
          <h2 id="rollout-title">{`${rollout.modelId} ${rollout.version}`}</h2>
          <dl class="facts" id="rollout-facts">
            <dt>Status</dt>
            <dd id="rollout-status" data-status={rollout.status}>
              <span class={`state rollout-${rollout.status}`}>{rollout.status}</span>
              {rollout.reason && <span class="muted">{` ${rollout.reason}`}</span>}
            </dd>
            <dt>Stage</dt>
            <dd id="rollout-stage">{rollout.stage}</dd>
            <dt>Devices</dt>
            <dd>{rollout.tag ? `with tag ${rollout.tag}` : 'every device of the sites'}</dd>
            <dt>Plan</dt>
            <dd>{`${rollout.canary} canary, then ${rollout.percent}% of the rest; stops after ${rollout.maxFailures} failure(s)`}</dd>
            <dt>Started</dt>
            <dd>{`${ago(rollout.createdAt)} by ${rollout.createdBy}`}</dd>
          </dl>
          <div id="rollout-progress">
            <RolloutProgress counts={rollout.counts} />
          </div>
          <div class="actions" id="rollout-actions">
            {ACTIONS.map((a) => (
              <button
                type="button"
                key={a.action}
                data-action={a.action}
                class={a.action === 'rollback' ? 'danger' : undefined}
                disabled={busy || !canDo(a.action, rollout.status)}
                onClick={() => act(a.action, a.ask)}
              >
                {a.label}
              </button>
            ))}
          </div>
          <table id="rollout-devices">
            <thead>
              <tr>
                <th>#</th>
                <th>Device</th>
                <th>Stage</th>
                <th>State</th>
                <th>Why</th>
                <th>Changed</th>
              </tr>
            </thead>
            <tbody>
              {rollout.devices.map((d) => (
                <tr key={d.deviceId} data-device={d.deviceId} data-state={d.state}>
                  <td>{d.position + 1}</td>
                  <td>
                    <a href={deviceHref(d.deviceId)}>{d.deviceId}</a>
                  </td>
                  <td>{d.stage === 'canary' ? 'canary' : 'percentage'}</td>
                  <td class="device-state">
                    <span class={`state state-${d.state}`}>{d.state}</span>
                  </td>
                  <td>{d.reason ?? ''}</td>
                  <td>{ago(d.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, describeError, request, type Session } from '../lib/api.js';
import { ago } from '../lib/fleet-api.js';
import { parseDesired, shown, TWIN_STATES, type TwinView } from '../lib/twin-api.js';

/** While the box has not confirmed, it answers within seconds: look again soon (ms). */
const PENDING_REFRESH_MS = 2000;
/** Otherwise with the device page's pace (the box reports every 15 s). */
const REFRESH_MS = 15_000;

const EXAMPLE = '{\n  "alerts": { "sensitivity": 0.7 }\n}';

/**
 * A device's configuration (the twin): in sync, pending or drifted against the desired version, the
 * difference key by key with why (waiting for a procedure's end or the next start, or the box's own
 * file or environment that wins), and for those who may, the desired configuration edited as JSON
 * and sent (the hub's reason shown on a refusal, the text kept).
 */
export function ConfigPanel({
  session,
  deviceId,
  canEdit,
}: {
  session: Session;
  deviceId: string;
  canEdit: boolean;
}) {
  const [twin, setTwin] = useState<TwinView | null>(null);
  const [problem, setProblem] = useState('');
  const [text, setText] = useState<string | null>(null);
  const [refusal, setRefusal] = useState('');
  const [saving, setSaving] = useState(false);

  const load = useCallback(async () => {
    try {
      setTwin(await api<TwinView>(session, `/api/v1/devices/${deviceId}/config`));
      setProblem('');
    } catch (err) {
      setProblem(describeError(err));
    }
  }, [session, deviceId]);
  const pending = twin?.state === 'pending';
  useEffect(() => {
    load();
    const t = setInterval(load, pending ? PENDING_REFRESH_MS : REFRESH_MS);
    return () => clearInterval(t);
  }, [load, pending]);

  const send = async (e: Event) => {
    e.preventDefault();
    if (text === null) return;
    const parsed = parseDesired(text);
    if (!parsed.ok) {
      setRefusal(parsed.why);
      return;
    }
    setSaving(true);
    try {
      await request(session, `/api/v1/devices/${deviceId}/config`, {
        method: 'PUT',
        body: JSON.stringify(parsed.value),
      });
      setText(null);
      setRefusal('');
      await load();
    } catch (err) {
      // The hub names every bad key; the text stays as typed, to be corrected.
      setRefusal(describeError(err));
    } finally {
      setSaving(false);
    }
  };

  const state = twin && TWIN_STATES[twin.state];
  return (
    <section id="config">
      <h3>Configuration</h3>
      {problem && <p class="notice">{problem}</p>}
      {twin && state && (
        <>
          <dl class="facts" id="config-facts">
            <dt>State</dt>
            <dd id="config-state" data-state={twin.state} class={`health health-${state.health}`}>
              {state.label}
            </dd>
            <dt>Desired</dt>
            <dd id="config-desired-version">
              {twin.desiredVersion === null
                ? '-'
                : `version ${twin.desiredVersion}${twin.desiredBy ? ` by ${twin.desiredBy}` : ''}, ${ago(twin.desiredAt)}`}
            </dd>
            <dt>Box runs</dt>
            <dd id="config-reported-version">
              {twin.reportedVersion === null
                ? 'nothing reported'
                : `version ${twin.reportedVersion}, reported ${ago(twin.reportedAt)}`}
            </dd>
          </dl>
          {twin.difference.length > 0 && (
            <table id="config-difference">
              <thead>
                <tr>
                  <th>Key</th>
                  <th>Desired</th>
                  <th>The box runs</th>
                  <th>Why</th>
                </tr>
              </thead>
              <tbody>
                {twin.difference.map((d) => (
                  <tr key={d.key} data-key={d.key}>
                    <td>
                      <code>{d.key}</code>
                    </td>
                    <td>{shown(d.desired)}</td>
                    <td>{shown(d.reported)}</td>
                    <td>{d.why}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {twin.state === 'in-sync' && (
            <p class="muted" id="config-in-sync">
              The box runs every desired key.
            </p>
          )}
          {canEdit && text === null && (
            <div class="actions">
              <button
                type="button"
                id="config-edit"
                onClick={() => {
                  setRefusal('');
                  setText(twin.desired ? JSON.stringify(twin.desired, null, 2) : EXAMPLE);
                }}
              >
                Edit the desired configuration
              </button>
            </div>
          )}
          {canEdit && text !== null && (
            <form id="config-form" onSubmit={send}>
              <p class="muted">
                A part of the box’s configuration file, as JSON. Keys set on the box itself (its file or
                environment) win; what would disturb a procedure waits for its end.
              </p>
              <textarea
                id="config-text"
                rows={10}
                spellcheck={false}
                value={text}
                onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
              />
              {refusal && (
                <p class="error" id="config-refusal">
                  {refusal}
                </p>
              )}
              <div class="actions">
                <button type="submit" disabled={saving}>
                  Send to the box
                </button>
                <button type="button" class="secondary" onClick={() => setText(null)}>
                  Cancel
                </button>
              </div>
            </form>
          )}
        </>
      )}
    </section>
  );
}

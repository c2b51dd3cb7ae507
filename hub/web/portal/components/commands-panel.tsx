import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, describeError, request, type Session } from '../lib/api.js';

/** A command as `GET /api/v1/devices/{id}/commands` lists it (hub/src/devices/commands-repo.ts). */
interface CommandView {
  id: string;
  kind: string;
  issuedBy: string;
  issuedAt: string;
  status: string;
  reason: string | null;
  detail: Record<string, unknown> | null;
  safeDuringProcedure: boolean;
}

const KINDS = [
  { kind: 'self-test', label: 'Run the self-test', safe: true },
  { kind: 'collect-logs', label: 'Collect logs', safe: true },
  { kind: 'restart-capture', label: 'Restart the capture', safe: false },
] as const;
const REFRESH_MS = 3000;

/** What a command's answer says, in one line: the reason, or the self-test's parts. */
function outcome(c: CommandView): string {
  if (c.reason) return c.reason;
  const checks = c.detail?.checks;
  if (checks && typeof checks === 'object')
    return Object.entries(checks as Record<string, { ok?: boolean }>)
      .map(([name, v]) => `${name} ${v?.ok === false ? 'FAILED' : 'ok'}`)
      .join(', ');
  return '';
}

/**
 * Remote commands of one box: issue one (the box refuses it during a procedure unless it is safe
 * then), and the history with each status, reason and collected logs. Refreshes every 3 s.
 */
export function CommandsPanel({
  session,
  deviceId,
  canIssue,
}: {
  session: Session;
  deviceId: string;
  canIssue: boolean;
}) {
  const [items, setItems] = useState<CommandView[]>([]);
  const [problem, setProblem] = useState('');
  const load = useCallback(async () => {
    try {
      setItems((await api<{ items: CommandView[] }>(session, `/api/v1/devices/${deviceId}/commands`)).items);
    } catch (err) {
      setProblem(describeError(err));
    }
  }, [session, deviceId]);
  useEffect(() => {
    load();
    const t = setInterval(load, REFRESH_MS);
    return () => clearInterval(t);
  }, [load]);
  const issue = async (kind: string, safe: boolean) => {
    try {
      await request(session, `/api/v1/devices/${deviceId}/commands`, {
        method: 'POST',
        body: JSON.stringify({ kind, safeDuringProcedure: safe }),
      });
      setProblem('');
      await load();
    } catch (err) {
      setProblem(describeError(err));
    }
  };
  return (
    <section id="commands">
      <h3>Commands</h3>
      {canIssue && (
        <div class="actions">
          {KINDS.map((k) => (
            <button type="button" key={k.kind} data-kind={k.kind} onClick={() => issue(k.kind, k.safe)}>
              {k.label}
            </button>
          ))}
        </div>
      )}
      <p class="muted">A box refuses a command that could disturb a procedure in progress.</p>
      {problem && <p class="notice">{problem}</p>}
      {items.length === 0 ? (
        <p id="commands-empty">No commands yet.</p>
      ) : (
        <table id="commands-table">
          <thead>
            <tr>
              <th>When</th>
              <th>Command</th>
              <th>By</th>
              <th>Status</th>
              <th>Outcome</th>
            </tr>
          </thead>
          <tbody>
            {items.map((c) => (
              <tr key={c.id} data-command={c.id} data-kind={c.kind} data-status={c.status}>
                <td>{new Date(c.issuedAt).toLocaleString()}</td>
                <td>{c.kind}</td>
                <td>{c.issuedBy}</td>
                <td>{c.status}</td>
                <td>
                  {outcome(c)}
                  {typeof c.detail?.logsUrl === 'string' && (
                    <>
                      {' '}
                      <a href={c.detail.logsUrl} target="_blank" rel="noreferrer">
                        logs
                      </a>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

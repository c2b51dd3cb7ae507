import { send } from '../api.js';
import type { LiveAlert } from '../live-types.js';

/** Alerts on screen now, each acknowledged or dismissed by whoever acts from this screen. */
export function AlertList({ alerts, actor }: { alerts: LiveAlert[]; actor: string }) {
  const act = (id: string, verb: 'acknowledge' | 'dismiss') =>
    send(`/api/v1/alerts/${id}/${verb}`, { by: actor });
  return (
    <ul id="alerts" aria-live="assertive">
      {alerts.map((a) => (
        <li key={a.id} class={a.state} data-alert-id={a.id}>
          <span>
            {`${a.label.toUpperCase()} ${Math.round(a.bestScore * 100)}%`}
            {a.state === 'acknowledged' ? ` - acknowledged by ${a.acknowledgedBy}` : ''}
          </span>
          {a.state === 'active' && (
            <button type="button" class="ack" onClick={() => act(a.id, 'acknowledge')}>
              Acknowledge
            </button>
          )}
          <button type="button" class="dismiss" onClick={() => act(a.id, 'dismiss')}>
            Dismiss
          </button>
        </li>
      ))}
    </ul>
  );
}

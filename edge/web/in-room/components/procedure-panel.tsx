import { send } from '../api.js';
import { clock, procedureState } from '../format.js';
import type { LiveState } from '../live-types.js';

/** The procedure: its state, timer and withdrawal time, and the buttons that start, end and mark it. */
export function ProcedurePanel({
  live,
  operator,
  now,
}: {
  live: LiveState | null;
  operator: string | null;
  now: number;
}) {
  const p = live?.procedure ?? null;
  const open = Boolean(p && !p.endedAt);
  const ended = live?.source.state === 'ended';
  const actor = operator || 'in-room screen';
  const end = p?.endedAt ? new Date(p.endedAt).getTime() : now;
  return (
    <>
      <div class="label">
        Procedure <span id="procedure-state">{live ? procedureState(live) : ''}</span>
      </div>
      <div class="big" id="timer">
        {p ? clock((end - new Date(p.startedAt).getTime()) / 1000) + (p.endedAt ? ' (ended)' : '') : '--:--'}
      </div>
      <div class="label">Withdrawal</div>
      <div class="big" id="withdrawal">
        {p?.cecumReachedAt ? clock((end - new Date(p.cecumReachedAt).getTime()) / 1000) : '--:--'}
      </div>
      <div class="actions">
        <button
          id="start"
          type="button"
          class="primary"
          disabled={open || ended}
          title={ended ? 'No video: the source has ended' : ''}
          onClick={() => send('/api/v1/procedures', operator ? { by: operator } : {})}
        >
          Start procedure
        </button>
        <button
          id="end"
          type="button"
          disabled={!open}
          onClick={() => send('/api/v1/procedures/current/end', { by: actor })}
        >
          End procedure
        </button>
        <button
          id="cecum"
          type="button"
          disabled={!open || Boolean(p?.cecumReachedAt)}
          onClick={() => send('/api/v1/procedures/current/landmarks', { landmark: 'cecum', by: actor })}
        >
          Cecum reached
        </button>
      </div>
    </>
  );
}

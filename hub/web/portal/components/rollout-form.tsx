import { useEffect, useState } from 'preact/hooks';
import { api, describeError, type Session } from '../lib/api.js';
import type { ModelVersion, RolloutDetail } from '../lib/rollout-api.js';
import { rolloutHref } from '../lib/route.js';

/**
 * Starts a rollout of a stored model version (every file uploaded) to the devices of one's sites, or
 * those with a tag: a canary group first, then a percentage of the rest, stopped after so many failures.
 */
export function RolloutForm({ session }: { session: Session }) {
  const [models, setModels] = useState<ModelVersion[] | null>(null);
  const [choice, setChoice] = useState('');
  const [tag, setTag] = useState('');
  const [canary, setCanary] = useState(1);
  const [percent, setPercent] = useState(100);
  const [maxFailures, setMaxFailures] = useState(1);
  const [problem, setProblem] = useState('');

  useEffect(() => {
    api<{ items: ModelVersion[] }>(session, '/api/v1/models')
      .then((answer) => {
        const ready = answer.items.filter((m) => m.ready);
        setModels(ready);
        setChoice((c) => c || (ready[0] ? `${ready[0].id}@${ready[0].version}` : ''));
      })
      .catch((err) => setProblem(describeError(err)));
  }, [session]);

  const start = async (e: Event) => {
    e.preventDefault();
    const [modelId, version] = choice.split('@');
    try {
      const created = await api<RolloutDetail>(session, '/api/v1/rollouts', {
        method: 'POST',
        body: JSON.stringify({
          modelId,
          version,
          ...(tag.trim() ? { tag: tag.trim() } : {}),
          canary,
          percent,
          maxFailures,
        }),
      });
      location.hash = rolloutHref(created.id);
    } catch (err) {
      setProblem(describeError(err));
    }
  };
  const number = (set: (n: number) => void) => (e: Event) =>
    set(Number((e.target as HTMLInputElement).value));

  if (models && models.length === 0)
    return <p class="muted">No model version with every file stored yet: nothing to roll out.</p>;
  return (
    <form id="rollout-form" class="filters" onSubmit={start}>
      <label>
        Model{' '}
        <select
          id="rollout-model"
          value={choice}
          onChange={(e) => setChoice((e.target as HTMLSelectElement).value)}
        >
          {(models ?? []).map((m) => (
            <option key={`${m.id}@${m.version}`} value={`${m.id}@${m.version}`}>
              {`${m.id} ${m.version}`}
            </option>
          ))}
        </select>
      </label>
      <label>
        Tag{' '}
        <input
          id="rollout-tag"
          value={tag}
          placeholder="every device"
          onInput={(e) => setTag((e.target as HTMLInputElement).value)}
        />
      </label>
      <label>
        Canary devices{' '}
        <input
          id="rollout-canary"
          type="number"
          min={0}
          max={1000}
          value={canary}
          onInput={number(setCanary)}
        />
      </label>
      <label>
        Then % of the rest{' '}
        <input
          id="rollout-percent"
          type="number"
          min={0}
          max={100}
          value={percent}
          onInput={number(setPercent)}
        />
      </label>
      <label>
        Stop after failures{' '}
        <input
          id="rollout-max-failures"
          type="number"
          min={1}
          max={10000}
          value={maxFailures}
          onInput={number(setMaxFailures)}
        />
      </label>
      <button type="submit" disabled={!choice}>
        Start the rollout
      </button>
      {problem && (
        <p class="error" id="rollout-form-problem">
          {problem}
        </p>
      )}
    </form>
  );
}

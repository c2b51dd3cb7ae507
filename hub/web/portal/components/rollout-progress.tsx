import { type Counts, countsLine, progress } from '../lib/rollout-api.js';

/** A rollout's devices by state: a bar with one part per state, and the counts in words beside it. */
export function RolloutProgress({ counts }: { counts: Counts }) {
  const parts = progress(counts);
  return (
    <div class="rollout-progress">
      <div class="rollout-bar" role="img" aria-label={countsLine(counts)}>
        {parts.map((p) => (
          <span
            key={p.state}
            class={`rollout-part state-${p.state}`}
            style={{ width: `${(p.share * 100).toFixed(1)}%` }}
            title={`${p.n} ${p.state}`}
          />
        ))}
      </div>
      <span class="rollout-counts muted">{countsLine(counts)}</span>
    </div>
  );
}

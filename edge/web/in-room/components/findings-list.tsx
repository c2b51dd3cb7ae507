import { useState } from 'preact/hooks';
import type { LiveFinding } from '../live-types.js';

/** Every finding that alerted in this procedure, newest first, with its masked thumbnail. */
export function FindingsList({ findings }: { findings: LiveFinding[] }) {
  const [broken, setBroken] = useState<ReadonlySet<string>>(new Set());
  return (
    <ul id="findings-list">
      {[...findings].reverse().map((f) => (
        <li key={f.id} data-alert-id={f.id}>
          {!broken.has(f.id) && (
            <img
              alt={`${f.label} thumbnail`}
              src={`/api/v1/alerts/${f.id}/thumbnail.jpg`}
              onError={() => setBroken((b) => new Set(b).add(f.id))}
            />
          )}
          <div>{`${f.label} ${Math.round(f.bestScore * 100)}% at ${new Date(f.raisedAt).toLocaleTimeString()}`}</div>
        </li>
      ))}
    </ul>
  );
}

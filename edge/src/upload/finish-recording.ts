import { existsSync, statSync } from 'node:fs';
import { sha256File } from '@gic/shared/analysis/model-manifest.js';
import type { Outbox } from '../outbox/outbox.js';
import type { RecordingsStore } from './recordings-store.js';

/**
 * Seals a recording segment once the recorder has closed it: size and SHA-256 are measured here,
 * before any upload, and are what the hub must find in the object store. An empty or missing file
 * fails it. `final` says it is its procedure's last segment (the procedure has ended); `startedAt`,
 * when known, when its first frame was captured (see `recording.sealed`); `durationMs`, when known,
 * how much video the recorder wrote into it.
 */
export async function finishRecording(
  store: RecordingsStore,
  id: string,
  outbox?: Outbox,
  final = true,
  startedAt?: Date,
  durationMs?: number,
): Promise<boolean> {
  const recording = store.get(id);
  if (!recording) return false;
  const empty = !existsSync(recording.path) || statSync(recording.path).size === 0;
  const sealed = empty
    ? undefined
    : { size: statSync(recording.path).size, sha256: await sha256File(recording.path) };
  store.transaction(() => {
    if (sealed) store.markReady(id, sealed.size, sealed.sha256, final, durationMs);
    else {
      store.setStatus(id, 'failed', { error: 'recorder wrote no data' });
      store.markFinal(id, final);
    }
    // The hub hears of it either way, so a procedure without a recording is not awaited for ever.
    outbox?.append({
      type: 'recording.sealed',
      procedureId: recording.procedure_id,
      body: {
        recordingId: id,
        status: sealed ? 'ready' : 'failed',
        sizeBytes: sealed?.size ?? null,
        sha256: sealed?.sha256 ?? null,
        error: sealed ? null : 'recorder wrote no data',
        segmentIndex: recording.segment_index,
        final,
        ...(startedAt ? { startedAt: startedAt.toISOString() } : {}),
      },
    });
  });
  return sealed !== undefined;
}

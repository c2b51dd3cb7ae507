import { existsSync, statSync } from 'node:fs';
import { sha256File } from '@gic/shared/analysis/model-manifest.js';
import type { RecordingsStore } from './recordings-store.js';

/**
 * Seals a recording once the recorder has closed it: size and SHA-256 are measured here, before any
 * upload, and are what the hub must find in the object store. An empty or missing file fails it.
 */
export async function finishRecording(store: RecordingsStore, id: string): Promise<boolean> {
  const recording = store.get(id);
  if (!recording) return false;
  if (!existsSync(recording.path) || statSync(recording.path).size === 0) {
    store.setStatus(id, 'failed', { error: 'recorder wrote no data' });
    return false;
  }
  store.markReady(id, statSync(recording.path).size, await sha256File(recording.path));
  return true;
}

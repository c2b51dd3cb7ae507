import type { Logger } from '@gic/shared/logging/logger.js';
import type { Queryable } from '../db/database.js';
import type { ObjectStore } from '../storage/object-store.js';
import { findRecording, transitionRecording } from './recordings-repo.js';

/**
 * Job handler: reads the whole object back, hashes it, and marks the recording available only when
 * size and SHA-256 match what the device measured before upload. Idempotent: a recording no longer
 * in `verifying` is left as it is.
 */
export async function verifyRecording(db: Queryable, store: ObjectStore, log: Logger, recordingId: string) {
  const recording = await findRecording(db, recordingId);
  if (recording?.status !== 'verifying') return;
  const { sha256, crc32, bytes } = await store.sha256(recording.object_key);
  if (sha256 === recording.sha256_claimed && bytes === Number(recording.size_bytes)) {
    await transitionRecording(db, recordingId, ['verifying'], 'available', {
      sha256Verified: sha256,
      crc32Verified: crc32,
    });
    log.info({ recordingId, bytes, sha256 }, 'recording verified');
  } else {
    const error = `object has ${bytes} bytes with SHA-256 ${sha256}; device sent ${recording.size_bytes} bytes with ${recording.sha256_claimed}`;
    await transitionRecording(db, recordingId, ['verifying'], 'corrupt', { sha256Verified: sha256, error });
    log.error({ recordingId, error }, 'recording corrupt');
  }
}

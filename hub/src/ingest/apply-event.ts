import type { DeviceEvent } from '@gic/shared/messages/events.js';
import type { Queryable } from '../db/database.js';
import { ensureProcedure, markProcedureEnded, markProcedureStarted } from '../procedures/procedure-writes.js';
import { insertFrameAnalysis, recordEvent } from './ingest-repo.js';

/**
 * Applies one validated device event inside the caller's transaction. Returns false for a duplicate,
 * which changes nothing: this is what makes replays and resends harmless.
 */
export async function applyEvent(tx: Queryable, deviceId: string, event: DeviceEvent): Promise<boolean> {
  if (!(await recordEvent(tx, deviceId, event))) return false;
  await ensureProcedure(tx, event.procedureId, deviceId);
  switch (event.type) {
    case 'procedure.started':
      await markProcedureStarted(tx, event.procedureId, event.body.startedAt, event.body.source.label);
      break;
    case 'frame.analysed':
      await insertFrameAnalysis(tx, deviceId, event);
      break;
    case 'procedure.ended':
      await markProcedureEnded(
        tx,
        event.procedureId,
        event.body.endedAt,
        event.body.reason,
        event.body.analysedFrames,
      );
      break;
  }
  return true;
}

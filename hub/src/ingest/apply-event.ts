import type { DeviceEvent } from '@gic/shared/messages/events.js';
import type { Queryable } from '../db/database.js';
import { setDeviceMaskLayout } from '../devices/devices-repo.js';
import { ensureProcedure, markProcedureEnded, markProcedureStarted } from '../procedures/procedure-writes.js';
import {
  insertChatMessage,
  insertFrameAnalysis,
  insertFrameFindings,
  recordEvent,
  upsertAlert,
  upsertRecordingSeal,
} from './ingest-repo.js';

/**
 * Applies one validated device event inside the caller's transaction. Returns false for a duplicate,
 * which changes nothing: this is what makes replays and resends harmless.
 */
export async function applyEvent(tx: Queryable, deviceId: string, event: DeviceEvent): Promise<boolean> {
  if (!(await recordEvent(tx, deviceId, event))) return false;
  if (event.type === 'device.mask-layout') {
    // About the device, not a procedure: its record keeps the latest layout.
    await setDeviceMaskLayout(tx, deviceId, event);
    return true;
  }
  await ensureProcedure(tx, event.procedureId, deviceId);
  switch (event.type) {
    case 'procedure.started':
      await markProcedureStarted(tx, event.procedureId, event.body);
      break;
    case 'frame.analysed':
      await insertFrameAnalysis(tx, deviceId, event);
      break;
    case 'procedure.ended':
      await markProcedureEnded(tx, event.procedureId, event.body);
      break;
    case 'alert.changed':
      await upsertAlert(tx, deviceId, event);
      break;
    case 'recording.sealed':
      await upsertRecordingSeal(tx, deviceId, event);
      break;
    case 'landmark.marked':
      await tx.query('UPDATE procedures SET cecum_reached_at = $2 WHERE id = $1', [
        event.procedureId,
        event.body.at,
      ]);
      break;
    case 'chat.message':
      await insertChatMessage(tx, deviceId, event);
      break;
    case 'frame.findings':
      await insertFrameFindings(tx, deviceId, event);
      break;
    default: {
      // Every event type is handled: adding one to the schema without a case here fails to compile.
      const unhandled: never = event;
      throw new Error(`unhandled event ${(unhandled as DeviceEvent).type}`);
    }
  }
  return true;
}

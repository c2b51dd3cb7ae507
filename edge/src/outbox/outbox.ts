import { randomUUID } from 'node:crypto';
import type { DeviceEvent, DeviceEventType } from '@gic/shared/messages/events.js';

/** An event as it waits in the outbox. */
export interface OutboxEntry {
  seq: number;
  id: string;
  type: DeviceEventType;
  procedureId: string | null;
  priority: number;
  payload: string;
  attempts: number;
}

/**
 * Delivery class of every event type: 0 = clinical, delivered first; 1 = bulk, after. A new event
 * type must take its place here (the record is exhaustive), rather than fall into one by default.
 */
const PRIORITY: Record<DeviceEventType, 0 | 1> = {
  'procedure.started': 0,
  'procedure.ended': 0,
  'alert.changed': 0,
  'recording.sealed': 0,
  'landmark.marked': 0,
  // What the room asked (and was answered) is part of the procedure's record, like its alerts.
  'chat.message': 0,
  // The device's mask layout: small and rare, part of the device's record at the hub.
  'device.mask-layout': 0,
  // The model's reading of a frame: educational, a few a minute; after the clinical record.
  'frame.findings': 1,
  'frame.analysed': 1,
};

/** Clinical events are delivered before bulk data. */
export function priorityOf(type: DeviceEventType): number {
  return PRIORITY[type];
}

/** A new event, before the outbox gives it its id, sequence number and time. */
export type NewEvent = DeviceEvent extends infer E
  ? E extends DeviceEvent
    ? Omit<E, 'id' | 'seq' | 'ts'>
    : never
  : never;

/**
 * Store-and-forward queue of device events. An event stays until the hub confirms it is committed;
 * being sent (even acknowledged by the broker) is not enough.
 */
export interface Outbox {
  /** Adds an event with the next per-device sequence number; call inside the local data's transaction. */
  append(event: NewEvent): DeviceEvent;
  /** Events to send now: never sent, or sent before `resendBefore` without confirmation; clinical first. */
  due(limit: number, resendBefore: Date): OutboxEntry[];
  /** Notes that these were handed to the broker. */
  markSent(seqs: number[], at: Date): void;
  /** Removes events the hub confirmed; returns how many were still here. */
  confirm(ids: string[]): number;
  /** How many events wait for confirmation. */
  size(): number;
}

/** Gives a new event its id, sequence number and time, and the row every outbox keeps for it. */
export function toOutboxEntry(event: NewEvent, seq: number): { event: DeviceEvent; entry: OutboxEntry } {
  const full = { id: randomUUID(), seq, ts: new Date().toISOString(), ...event } as DeviceEvent;
  return {
    event: full,
    entry: {
      seq,
      id: full.id,
      type: full.type,
      procedureId: full.procedureId ?? null,
      priority: priorityOf(full.type),
      payload: JSON.stringify(full),
      attempts: 0,
    },
  };
}

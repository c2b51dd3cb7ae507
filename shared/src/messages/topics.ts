/** MQTT topic contract, version 1. Every topic of a device sits under `gic/v1/d/{deviceId}/`. */
export const TOPIC_ROOT = 'gic/v1/d';

export type DeviceTopicKind = 'status' | 'telemetry' | 'events' | 'cmd' | 'cmd/result' | 'ack';

/** The topic of one kind for one device. */
export function deviceTopic(deviceId: string, kind: DeviceTopicKind): string {
  if (!isValidDeviceId(deviceId)) throw new Error(`invalid device id: ${deviceId}`);
  return `${TOPIC_ROOT}/${deviceId}/${kind}`;
}

/** Wildcard subscription for one kind over every device. */
export function allDevicesTopic(kind: DeviceTopicKind): string {
  return `${TOPIC_ROOT}/+/${kind}`;
}

/** Splits a device topic; undefined if it is not one. */
export function parseDeviceTopic(topic: string): { deviceId: string; kind: DeviceTopicKind } | undefined {
  const prefix = `${TOPIC_ROOT}/`;
  if (!topic.startsWith(prefix)) return undefined;
  const rest = topic.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const deviceId = rest.slice(0, slash);
  const kind = rest.slice(slash + 1);
  if (!isValidDeviceId(deviceId)) return undefined;
  if (!['status', 'telemetry', 'events', 'cmd', 'cmd/result', 'ack'].includes(kind)) return undefined;
  return { deviceId, kind: kind as DeviceTopicKind };
}

/** Device ids are lowercase letters, digits and dashes: safe in topics, object keys and file names. */
export function isValidDeviceId(id: string): boolean {
  return /^[a-z0-9][a-z0-9-]{2,62}$/.test(id);
}

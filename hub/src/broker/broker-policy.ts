import { parseDeviceTopic } from '@gic/shared/messages/topics.js';

/** Who a connected client is: one of our devices, or one of the hub's own services. */
export type Principal = { kind: 'device'; deviceId: string } | { kind: 'service'; name: string };

/**
 * May this principal publish to this topic? A device publishes only under its own tree and never to
 * its own `cmd` or `ack` (those come from the hub). Services publish anywhere under the contract.
 */
export function mayPublish(principal: Principal, topic: string): boolean {
  if (principal.kind === 'service') return topic.startsWith('gic/v1/');
  const parsed = parseDeviceTopic(topic);
  if (!parsed || parsed.deviceId !== principal.deviceId) return false;
  return parsed.kind !== 'cmd' && parsed.kind !== 'ack';
}

/** May this principal subscribe to this filter? A device only to its own `cmd` and `ack`. */
export function maySubscribe(principal: Principal, filter: string): boolean {
  if (principal.kind === 'service') return filter.startsWith('gic/v1/') || filter === 'gic/#';
  const parsed = parseDeviceTopic(filter);
  if (!parsed || parsed.deviceId !== principal.deviceId) return false;
  return parsed.kind === 'cmd' || parsed.kind === 'ack';
}

/** Service client ids start with this, so they can never collide with a device id. */
export const SERVICE_CLIENT_PREFIX = 'hub:';

import { describe, expect, it } from 'vitest';
import { mayPublish, maySubscribe, type Principal } from './broker-policy.js';

const device: Principal = { kind: 'device', deviceId: 'edge-aaa111' };
const service: Principal = { kind: 'service', name: 'ingest' };

describe('broker policy', () => {
  it('lets a device publish only its own events, status, telemetry and results', () => {
    for (const kind of ['events', 'status', 'telemetry', 'cmd/result'])
      expect(mayPublish(device, `gic/v1/d/edge-aaa111/${kind}`)).toBe(true);
    expect(mayPublish(device, 'gic/v1/d/edge-aaa111/cmd')).toBe(false);
    expect(mayPublish(device, 'gic/v1/d/edge-aaa111/ack')).toBe(false);
    expect(mayPublish(device, 'gic/v1/d/edge-bbb222/events')).toBe(false);
    expect(mayPublish(device, '$SYS/x')).toBe(false);
  });

  it('lets a device subscribe only to its own cmd and ack, with no wildcards', () => {
    expect(maySubscribe(device, 'gic/v1/d/edge-aaa111/cmd')).toBe(true);
    expect(maySubscribe(device, 'gic/v1/d/edge-aaa111/ack')).toBe(true);
    expect(maySubscribe(device, 'gic/v1/d/+/cmd')).toBe(false);
    expect(maySubscribe(device, 'gic/v1/d/edge-aaa111/#')).toBe(false);
    expect(maySubscribe(device, 'gic/v1/d/edge-bbb222/ack')).toBe(false);
  });

  it('lets hub services use the whole contract but nothing outside it', () => {
    expect(mayPublish(service, 'gic/v1/d/edge-aaa111/ack')).toBe(true);
    expect(maySubscribe(service, 'gic/v1/d/+/events')).toBe(true);
    expect(mayPublish(service, 'other/topic')).toBe(false);
  });
});

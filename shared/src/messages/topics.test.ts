import { describe, expect, it } from 'vitest';
import { deviceTopic, parseDeviceTopic } from './topics.js';

describe('topics', () => {
  it('round-trips a device topic', () => {
    const topic = deviceTopic('edge-0001', 'cmd/result');
    expect(topic).toBe('gic/v1/d/edge-0001/cmd/result');
    expect(parseDeviceTopic(topic)).toEqual({ deviceId: 'edge-0001', kind: 'cmd/result' });
  });

  it('rejects wildcards, other roots and unknown kinds', () => {
    expect(() => deviceTopic('+', 'events')).toThrow();
    expect(parseDeviceTopic('gic/v1/d/#/events')).toBeUndefined();
    expect(parseDeviceTopic('other/edge-0001/events')).toBeUndefined();
    expect(parseDeviceTopic('gic/v1/d/edge-0001/secret')).toBeUndefined();
  });
});

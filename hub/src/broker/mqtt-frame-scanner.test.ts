import { describe, expect, it } from 'vitest';
import { type FrameHeader, MQTT_PUBLISH, MqttFrameScanner } from './mqtt-frame-scanner.js';
import { TokenBucket } from './token-bucket.js';

/** A packet of this type with a body of `remaining` bytes (its length in MQTT's variable-length encoding). */
function frame(type: number, remaining: number): Buffer {
  const length: number[] = [];
  let n = remaining;
  do {
    const byte = n % 128;
    n = Math.floor(n / 128);
    length.push(n > 0 ? byte | 0x80 : byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([(type << 4) | 2, ...length]), Buffer.alloc(remaining, 97)]);
}
const publish = (bytes: number) => frame(MQTT_PUBLISH, bytes + 31);

describe('MQTT frame scanner', () => {
  it('reports each packet’s type and size however the stream is cut', () => {
    const packets = [publish(10), Buffer.from([0xc0, 0]), publish(20_000), publish(0)];
    const stream = Buffer.concat(packets);
    for (const cut of [1, 2, 7, 1000, stream.length]) {
      const seen: FrameHeader[] = [];
      const scanner = new MqttFrameScanner((h) => {
        seen.push(h);
        return true;
      });
      for (let i = 0; i < stream.length; i += cut)
        expect(scanner.feed(stream.subarray(i, i + cut))).toBe(true);
      expect(seen).toEqual([
        { type: MQTT_PUBLISH, bytes: packets[0]!.length },
        { type: 12, bytes: 2 },
        { type: MQTT_PUBLISH, bytes: packets[2]!.length },
        { type: MQTT_PUBLISH, bytes: packets[3]!.length },
      ]);
    }
  });

  it('knows a packet is too large from its first bytes, before its body', () => {
    const big = publish(2 * 1024 * 1024);
    let told: FrameHeader | undefined;
    const scanner = new MqttFrameScanner((h) => {
      told = h;
      return h.bytes <= 256 * 1024;
    });
    expect(scanner.feed(big.subarray(0, 5))).toBe(false);
    expect(told).toEqual({ type: MQTT_PUBLISH, bytes: big.length });
  });

  it('stops at a remaining length longer than four bytes', () => {
    const scanner = new MqttFrameScanner(() => true);
    expect(scanner.feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toBe(false);
  });
});

describe('token bucket', () => {
  it('allows a burst, then the rate', () => {
    let t = 0;
    const bucket = new TokenBucket(10, 5, () => t);
    for (let i = 0; i < 5; i++) expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    t += 100; // 1 token
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    t += 10_000; // refills to the burst, no more
    for (let i = 0; i < 5; i++) expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    expect(bucket.take(0)).toBe(true);
  });
});

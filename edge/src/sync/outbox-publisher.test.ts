import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { DeviceCredentials } from '@gic/provisioning/device-credentials.js';
import { generateDeviceKeyPair } from '@gic/provisioning/device-keys.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { allDevicesTopic, deviceTopic } from '@gic/shared/messages/topics.js';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../../test/helpers.js';
import { freePort } from '../../../test/ports.js';
import { MemoryOutbox } from '../outbox/memory-outbox.js';
import { OutboxPublisher } from './outbox-publisher.js';

const deviceId = 'edge-pub001';
const log = createLogger('test', 'silent');

/** Cuts a byte stream into MQTT packets (type byte, remaining length 7 bits a byte, the rest). */
function packetSplitter(onPacket: (packet: Buffer) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      let length = 0;
      let i = 1;
      let whole = false;
      for (let shift = 0; i < pending.length; shift += 7) {
        const byte = pending[i++]!;
        length += (byte & 0x7f) << shift;
        if ((byte & 0x80) === 0) {
          whole = true;
          break;
        }
      }
      if (!whole || pending.length < i + length) return;
      onPacket(Buffer.from(pending.subarray(0, i + length)));
      pending = pending.subarray(i + length);
    }
  };
}

/**
 * The broker's side of a connection with the PUBACK of every event the device publishes held back
 * until the test lets it go (`held`, in order): the device sees its events in flight, unacknowledged,
 * for as long as the test wants, while the broker goes on reading (holding the authorisation instead
 * would stop aedes reading the connection until the held ones are done). Other packets pass through.
 */
function holdingEventPubacks(socket: Socket, held: (() => void)[]): Duplex {
  const eventIds = new Set<number>();
  const fromDevice = packetSplitter((packet) => {
    // A QoS 1 PUBLISH: after the remaining length, the topic (2-byte length), then the packet id.
    if (packet[0]! >> 4 === 3 && ((packet[0]! >> 1) & 3) === 1) {
      let i = 1;
      while (packet[i++]! & 0x80);
      const topicLength = packet.readUInt16BE(i);
      const topic = packet.subarray(i + 2, i + 2 + topicLength).toString();
      if (topic.endsWith('/events')) eventIds.add(packet.readUInt16BE(i + 2 + topicLength));
    }
    conn.push(packet);
  });
  const toDevice = packetSplitter((packet) => {
    if (packet[0]! >> 4 === 4 && eventIds.delete(packet.readUInt16BE(2)))
      held.push(() => socket.write(packet));
    else socket.write(packet);
  });
  const conn = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      toDevice(chunk);
      callback();
    },
    final(callback) {
      socket.end(callback);
    },
  });
  socket.on('data', fromDevice);
  socket.on('end', () => conn.push(null));
  socket.on('close', () => conn.destroy());
  socket.on('error', () => conn.destroy());
  return conn;
}

/** A bare aedes broker on loopback (no authentication: the policy is tested with the hub's broker). */
async function bareBroker(
  port: number,
  options: { holdPublishes?: boolean; held?: (() => void)[] } = {},
): Promise<{ close(): Promise<void> }> {
  const broker = await Aedes.createBroker();
  // Held: a publish is never authorised, so it is never acknowledged (it stays in flight).
  if (options.holdPublishes) broker.authorizePublish = () => {};
  const { held } = options;
  const server: Server = createServer((socket) =>
    broker.handle(held ? holdingEventPubacks(socket, held) : socket),
  );
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close();
        broker.close(() => resolve());
      }),
  };
}

/** A stand-in for the hub's ingest: confirms every event it hears on the device's ack topic. */
async function fakeIngest(url: string, heard: string[]): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { clientId: 'hub:fake-ingest', protocolVersion: 4 });
  client.on('message', (_topic, payload) => {
    const { id } = JSON.parse(payload.toString()) as { id: string };
    heard.push(id);
    client.publish(deviceTopic(deviceId, 'ack'), JSON.stringify({ ids: [id] }), { qos: 1 });
  });
  await client.subscribeAsync(allDevicesTopic('events'), { qos: 1 });
  return client;
}

/** A box's credentials for the broker at `url` (no hub: the publisher never calls one). */
async function boxCredentials(url: string): Promise<DeviceCredentials> {
  return {
    deviceId,
    ...(await generateDeviceKeyPair()),
    mqttUrl: url,
    hubUrl: 'http://127.0.0.1:1',
    enrolledAt: new Date().toISOString(),
  } as DeviceCredentials;
}

const frame = (procedureId: string, frameIndex: number) => ({
  type: 'frame.analysed' as const,
  procedureId,
  body: {
    frameIndex,
    ptsMs: frameIndex * 200,
    width: 64,
    height: 48,
    quality: { sharpness: 1, brightness: 0.3, blurred: false, exposure: 'ok' as const, inBody: true },
    privacyRegions: [],
    detections: [],
    models: [],
    modelsOff: [],
    latencyMs: 1,
  },
});

describe('OutboxPublisher', () => {
  const stops: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  it('resends, long before its resend timeout, events a later confirmation shows were never heard', async () => {
    const port = await freePort();
    const url = `mqtt://127.0.0.1:${port}`;
    const broker = await bareBroker(port);
    stops.push(() => broker.close());
    const credentials = await boxCredentials(url);
    const outbox = new MemoryOutbox();
    // A resend timeout far beyond the test's length: only the gap rule can bring the lost ones back.
    const publisher = new OutboxPublisher(credentials, url, outbox, log, () => 'online', {
      resendAfterMs: 600_000,
      gapResendMs: 200,
    });
    const procedureId = randomUUID();
    for (let i = 0; i < 5; i++) outbox.append(frame(procedureId, i));
    await publisher.start();
    stops.push(() => publisher.stop());
    // The broker takes them (PUBACK) with nobody subscribed, and drops them, as a restarted broker
    // does before the hub's ingest has reconnected.
    await until('the first five to be handed to the broker', () =>
      outbox.due(10, new Date(0)).length === 0 ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 300));

    const heard: string[] = [];
    const ingest = await fakeIngest(url, heard);
    stops.push(() => ingest.endAsync());
    outbox.append(frame(procedureId, 5));
    publisher.notify();
    await until('every event confirmed', () => (outbox.size() === 0 ? true : undefined), 10_000);
    expect(new Set(heard).size).toBe(6);
  });

  it('keeps a window of publishes in flight, refilled half a window at a time as the broker acknowledges them, not one window after another', async () => {
    const port = await freePort();
    const url = `mqtt://127.0.0.1:${port}`;
    const held: (() => void)[] = [];
    const broker = await bareBroker(port, { held });
    stops.push(() => broker.close());
    const outbox = new MemoryOutbox();
    const publisher = new OutboxPublisher(await boxCredentials(url), url, outbox, log, () => 'online', {
      window: 20,
    });
    const procedureId = randomUUID();
    for (let i = 0; i < 100; i++) outbox.append(frame(procedureId, i));
    await publisher.start();
    stops.push(() => publisher.stop());
    const settle = () => new Promise((r) => setTimeout(r, 200));
    await until('a window in flight', () => (held.length >= 20 ? true : undefined), 5_000);
    await settle();
    // The whole window, and no more: the rest waits for acknowledgements.
    expect(held.length).toBe(20);
    // Nine acknowledged (PUBACK): 11 still in flight, more than half a window; nothing new is read yet.
    for (const release of held.splice(0, 9)) release();
    await settle();
    expect(held.length).toBe(11);
    // The tenth: half a window in flight, so half a window more goes at once (not after the rest).
    const tenth = Date.now();
    held.shift()?.();
    await until('the window refilled', () => (held.length === 20 ? true : undefined), 5_000, 5);
    // At once, not at the publisher's next one-second look.
    expect(Date.now() - tenth).toBeLessThan(150);
    await settle();
    expect(held.length).toBe(20);
    // Acknowledging as they come, every event is handed over once.
    const released = { n: 10 };
    await until(
      'all 100 acknowledged by the broker',
      () => {
        for (const release of held.splice(0)) {
          release();
          released.n++;
        }
        return released.n === 100 ? true : undefined;
      },
      10_000,
    );
    await settle();
    expect(held.length).toBe(0);
    // None is due again (each was handed over once), and all wait for the hub's confirmation.
    expect(outbox.due(200, new Date(Date.now() - 5_000)).length).toBe(0);
    expect(outbox.size()).toBe(100);
  });

  it('stops at once when the broker went away with events in flight, and keeps them to send again', async () => {
    const port = await freePort();
    const url = `mqtt://127.0.0.1:${port}`;
    const broker = await bareBroker(port, { holdPublishes: true });
    const credentials = await boxCredentials(url);
    const outbox = new MemoryOutbox();
    const publisher = new OutboxPublisher(credentials, url, outbox, log, () => 'online');
    const procedureId = randomUUID();
    await publisher.start();
    await until('connected', () => (publisher.state().connected ? true : undefined));
    for (let i = 0; i < 5; i++) outbox.append(frame(procedureId, i));
    publisher.notify();
    await new Promise((r) => setTimeout(r, 300)); // handed to the broker, never acknowledged
    await broker.close();
    await until('the connection to be lost', () => (publisher.state().connected ? undefined : true));
    // Waiting for acknowledgements no broker will send would hold the box's stop (it held it 45 s).
    const stopping = Date.now();
    await publisher.stop();
    const took = Date.now() - stopping;
    expect(took, `stop took ${took} ms`).toBeLessThan(2_000);
    expect(outbox.size()).toBe(5);
  });

  it('stops within seconds when a connected broker acknowledges nothing', async () => {
    const port = await freePort();
    const url = `mqtt://127.0.0.1:${port}`;
    const broker = await bareBroker(port, { holdPublishes: true });
    stops.push(() => broker.close());
    const credentials = await boxCredentials(url);
    const outbox = new MemoryOutbox();
    const publisher = new OutboxPublisher(credentials, url, outbox, log, () => 'online');
    await publisher.start();
    await until('connected', () => (publisher.state().connected ? true : undefined));
    for (let i = 0; i < 3; i++) outbox.append(frame(randomUUID(), i));
    publisher.notify();
    await new Promise((r) => setTimeout(r, 300));
    const stopping = Date.now();
    await publisher.stop();
    const took = Date.now() - stopping;
    // At most 2 s for the offline status and 3 s for what is in flight.
    expect(took, `stop took ${took} ms`).toBeLessThan(9_000);
    expect(outbox.size()).toBe(3);
  });
});

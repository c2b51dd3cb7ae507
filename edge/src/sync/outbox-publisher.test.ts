import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
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

/** A bare aedes broker on loopback (no authentication: the policy is tested with the hub's broker). */
async function bareBroker(
  port: number,
  options: { holdPublishes?: boolean } = {},
): Promise<{ close(): Promise<void> }> {
  const broker = await Aedes.createBroker();
  // Held: a publish is never authorised, so it is never acknowledged (it stays in flight).
  if (options.holdPublishes) broker.authorizePublish = () => {};
  const server: Server = createServer(broker.handle);
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

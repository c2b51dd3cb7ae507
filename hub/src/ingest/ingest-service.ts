import { randomUUID } from 'node:crypto';
import type { Logger } from '@gic/shared/logging/logger.js';
import { deviceEventSchema, deviceStatusSchema } from '@gic/shared/messages/events.js';
import { allDevicesTopic, deviceTopic, parseDeviceTopic } from '@gic/shared/messages/topics.js';
import { connectMqtt, type MqttConnection } from '@gic/shared/mqtt/mqtt-connection.js';
import { signServiceToken } from '../auth/session-tokens.js';
import { SERVICE_CLIENT_PREFIX } from '../broker/broker-policy.js';
import { type Database, inTransaction } from '../db/database.js';
import { setDeviceStatus } from '../devices/devices-repo.js';
import { applyEvent } from './apply-event.js';
import { insertDeadLetter } from './ingest-repo.js';

export interface IngestStats {
  applied: number;
  duplicates: number;
  deadLettered: number;
}

/**
 * Consumes every device's `events` topic, validates each payload, commits it to PostgreSQL
 * idempotently and only then tells the device on its `ack` topic that it may delete the event.
 * Messages are handled one at a time in arrival order, so each device's order is kept.
 */
export class IngestService {
  readonly stats: IngestStats = { applied: 0, duplicates: 0, deadLettered: 0 };
  private chain: Promise<void> = Promise.resolve();
  private connection?: MqttConnection;

  constructor(
    private readonly db: Database,
    private readonly secret: Uint8Array,
    private readonly mqttUrl: string,
    private readonly log: Logger,
    private readonly onProcessed: (outcome: keyof IngestStats) => void = () => {},
  ) {}

  async start(): Promise<void> {
    const name = 'ingest';
    this.connection = await connectMqtt({
      url: this.mqttUrl,
      clientId: `${SERVICE_CLIENT_PREFIX}${name}-${randomUUID().slice(0, 8)}`,
      username: name,
      password: () => signServiceToken(this.secret, name),
    });
    const { client } = this.connection;
    client.on('connect', () => {
      this.log.info('ingest connected to broker');
      client.subscribe([allDevicesTopic('events'), allDevicesTopic('status')], { qos: 1 }, (err) => {
        if (err) this.log.error({ err }, 'ingest could not subscribe');
      });
    });
    client.on('error', (err) => this.log.warn({ err: err.message }, 'ingest mqtt error'));
    client.on('message', (topic, payload) => {
      this.chain = this.chain.then(() => this.handle(topic, payload));
    });
  }

  /** Handles one message; never throws (a database outage is logged and the device resends later). */
  async handle(topic: string, payload: Buffer): Promise<void> {
    const parsedTopic = parseDeviceTopic(topic);
    const deviceId = parsedTopic?.deviceId ?? null;
    const text = payload.toString('utf8');
    if (parsedTopic?.kind === 'status') return this.handleStatus(parsedTopic.deviceId, text);
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return this.deadLetter(deviceId, topic, text, 'payload is not JSON', undefined);
    }
    const parsed = deviceEventSchema.safeParse(raw);
    const rawId = typeof (raw as { id?: unknown })?.id === 'string' ? (raw as { id: string }).id : undefined;
    if (!parsed.success || !deviceId) {
      const reason = parsed.success
        ? 'topic is not a device events topic'
        : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      return this.deadLetter(deviceId, topic, text, reason, rawId);
    }
    try {
      const applied = await inTransaction(this.db, (tx) => applyEvent(tx, deviceId, parsed.data));
      this.count(applied ? 'applied' : 'duplicates');
      this.ack(deviceId, parsed.data.id);
    } catch (err) {
      const message = (err as Error).message;
      if (/belongs to another device/.test(message)) {
        return this.deadLetter(deviceId, topic, text, message, parsed.data.id);
      }
      // Not acknowledged: the device keeps the event and sends it again.
      this.log.error(
        { deviceId, eventId: parsed.data.id, err: message },
        'ingest failed; event left with device',
      );
    }
  }

  /** A device's retained status (online, in-procedure, no-signal, or offline from its Last Will). */
  private async handleStatus(deviceId: string, text: string): Promise<void> {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      raw = undefined;
    }
    const parsed = deviceStatusSchema.safeParse(raw);
    if (!parsed.success) {
      this.log.warn({ deviceId }, 'malformed device status ignored');
      return;
    }
    try {
      await setDeviceStatus(this.db, deviceId, parsed.data.state);
    } catch (err) {
      this.log.warn({ deviceId, err: (err as Error).message }, 'device status not saved');
    }
  }

  private async deadLetter(
    deviceId: string | null,
    topic: string,
    payload: string,
    reason: string,
    id?: string,
  ) {
    try {
      await insertDeadLetter(this.db, { deviceId, topic, payload, reason });
      this.count('deadLettered');
      this.log.warn({ deviceId, topic, reason }, 'payload dead-lettered');
      // Acknowledged once kept, so a device does not resend a payload that can never be applied.
      if (deviceId && id && /^[0-9a-f-]{36}$/i.test(id)) this.ack(deviceId, id);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'dead letter not saved');
    }
  }

  private ack(deviceId: string, id: string) {
    this.connection?.client.publish(deviceTopic(deviceId, 'ack'), JSON.stringify({ ids: [id] }), { qos: 1 });
  }

  private count(outcome: keyof IngestStats) {
    this.stats[outcome]++;
    this.onProcessed(outcome);
  }

  /** Waits for messages in hand, then disconnects. */
  async stop(): Promise<void> {
    const client = this.connection?.client;
    if (client?.connected) {
      await client.unsubscribeAsync([allDevicesTopic('events'), allDevicesTopic('status')]).catch(() => {});
    }
    await this.chain;
    await this.connection?.close();
  }
}

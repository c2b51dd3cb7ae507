import type { DeviceCredentials } from '@gic/provisioning/device-credentials.js';
import { BROKER_AUDIENCE, signDeviceToken } from '@gic/provisioning/device-token.js';
import type { Logger } from '@gic/shared/logging/logger.js';
import type { CommandResult } from '@gic/shared/messages/commands.js';
import { ackSchema, type DeviceStatus, type Telemetry } from '@gic/shared/messages/events.js';

/** What a connected device announces on its retained status topic (offline is its Last Will). */
type DeviceState = Exclude<DeviceStatus['state'], 'offline'>;

import { deviceTopic } from '@gic/shared/messages/topics.js';
import { connectMqtt, type MqttConnection } from '@gic/shared/mqtt/mqtt-connection.js';
import type { Outbox } from '../outbox/outbox.js';

export interface SyncState {
  connected: boolean;
  pendingEvents: number;
  lastContactAt: string | null;
  lastConfirmedAt: string | null;
}

export interface PublisherOptions {
  /** Resend an event not confirmed within this long (ms). */
  resendAfterMs?: number;
  /** Events handed to the broker and not yet confirmed, at most. */
  window?: number;
  /**
   * An event left unconfirmed behind a later one the hub has confirmed is resent once it is this
   * old (ms): it was lost, e.g. published before the ingest had resubscribed to a restarted broker.
   */
  gapResendMs?: number;
}

/** Events read from the outbox at once (a window is filled in reads of this many). */
const READ_AT_ONCE = 100;

/**
 * Drains the outbox to the broker with QoS 1 and deletes an event only when the hub says, on this
 * device's `ack` topic, that it is committed. Unconfirmed events go again after `resendAfterMs`,
 * all of them after a reconnect, and sooner those an ack shows were skipped: the hub's ingest takes
 * events in the order they arrive, so an event sent before one it confirmed and still unconfirmed
 * never reached it (a broker drops QoS 1 messages nobody subscribes to: after a broker restart the
 * device may reconnect before the ingest does). The idempotent ingest makes every repeat harmless.
 */
export class OutboxPublisher {
  private connection?: MqttConnection;
  private timer?: NodeJS.Timeout;
  /** A drain is reading the outbox now (drain is re-entered from the publishes it starts). */
  private filling = false;
  private stopping = false;
  /** Publishes handed to the broker and not yet acknowledged by it. */
  private inFlight = 0;
  /** A publish failed since the window was last empty: logged once, not once per event. */
  private interrupted = false;
  private lastContactAt: string | null = null;
  private lastConfirmedAt: string | null = null;
  private readonly resendAfterMs: number;
  private readonly window: number;
  private readonly gapResendMs: number;
  /** Set at each (re)connect; the next drain resends everything unconfirmed, even if one is running. */
  private resendAll = false;
  /** When each event was last handed to the broker on this connection (ms since epoch), by id. */
  private readonly sentAt = new Map<string, number>();
  /** Send time of the latest event confirmed on this connection: anything unconfirmed sent before it was lost. */
  private confirmedUpTo = 0;

  constructor(
    private readonly credentials: DeviceCredentials,
    private readonly mqttUrl: string,
    private readonly outbox: Outbox,
    private readonly log: Logger,
    /** What to announce on the retained status topic at each (re)connect. */
    private readonly currentState: () => DeviceState,
    options: PublisherOptions = {},
  ) {
    this.resendAfterMs = options.resendAfterMs ?? 10_000;
    this.window = options.window ?? 200;
    this.gapResendMs = options.gapResendMs ?? 1000;
  }

  /** The box's key pair changed (rotated): the next (re)connection signs with the new one. */
  async credentialsChanged(): Promise<void> {
    await this.connection?.refreshPassword();
  }

  async start(): Promise<void> {
    const { deviceId } = this.credentials;
    const statusTopic = deviceTopic(deviceId, 'status');
    this.connection = await connectMqtt({
      url: this.mqttUrl,
      clientId: deviceId,
      username: deviceId,
      // Read at each (re)connection: a rotated key pair is used from the next one on.
      password: () =>
        signDeviceToken(this.credentials.privateJwk, {
          deviceId,
          audience: BROKER_AUDIENCE,
          ttlSeconds: 300,
        }),
      will: {
        topic: statusTopic,
        payload: Buffer.from(JSON.stringify({ state: 'offline', ts: new Date().toISOString() })),
        qos: 1,
        retain: true,
      },
    });
    const { client } = this.connection;
    client.on('connect', () => {
      this.lastContactAt = new Date().toISOString();
      this.log.info({ url: this.mqttUrl }, 'connected to broker');
      client.subscribe(deviceTopic(deviceId, 'ack'), { qos: 1 });
      if (this.onCommand) client.subscribe(deviceTopic(deviceId, 'cmd'), { qos: 1 });
      this.publishStatus(this.currentState());
      // Whatever was in flight on the old connection is sent again now (after a drain still waiting
      // on the old connection's publishes, if one is).
      this.sentAt.clear();
      this.confirmedUpTo = 0;
      this.resendAll = true;
      this.drain();
    });
    client.on('error', (err) => {
      // Once stopping, an acknowledgement from the hub still arriving cannot be answered: not a fault.
      if (this.stopping) this.log.debug({ err: err.message }, 'mqtt error while stopping');
      else this.log.warn({ err: err.message }, 'mqtt error');
    });
    client.on('message', (topic, payload) => {
      if (topic === deviceTopic(deviceId, 'cmd')) return this.onCommand?.(payload);
      if (!topic.endsWith('/ack')) return;
      this.lastContactAt = new Date().toISOString();
      let raw: unknown;
      try {
        raw = JSON.parse(payload.toString('utf8'));
      } catch {
        raw = undefined;
      }
      const parsed = ackSchema.safeParse(raw);
      if (!parsed.success) return this.log.warn({ topic }, 'malformed ack ignored');
      this.outbox.confirm(parsed.data.ids);
      for (const id of parsed.data.ids) {
        this.confirmedUpTo = Math.max(this.confirmedUpTo, this.sentAt.get(id) ?? 0);
        this.sentAt.delete(id);
      }
      this.lastConfirmedAt = this.lastContactAt;
      this.drain();
    });
    this.timer = setInterval(() => this.topUp(), 1000);
    this.timer.unref();
  }

  /**
   * Takes the hub's commands (this device's `cmd` topic, QoS 1) on this connection, the only one a
   * device may hold (client id = device id). Set before `start`.
   */
  onCommand?: (payload: Buffer) => void;

  /** Answers a command on `cmd/result` (QoS 1; queued by the client while disconnected). */
  publishCommandResult(result: CommandResult): void {
    this.connection?.client
      .publishAsync(deviceTopic(this.credentials.deviceId, 'cmd/result'), JSON.stringify(result), { qos: 1 })
      .catch((err: Error) => this.log.warn({ err: err.message }, 'command result not published'));
  }

  /** Asks for a drain now (after new events were appended). */
  notify(): void {
    this.drain();
  }

  /** Drains once half a window (at most a read) has come back: a read per half window, not per PUBACK. */
  private topUp(): void {
    if (this.inFlight <= this.window - Math.min(READ_AT_ONCE, Math.ceil(this.window / 2))) this.drain();
  }

  /**
   * Keeps up to `window` events handed to the broker and not yet acknowledged by it (PUBACK): each
   * PUBACK makes room for the next, so the connection never waits for a whole window to clear. An
   * event is marked sent as it is handed over, so the next read skips it; should its publish fail,
   * it goes again after a reconnect (everything unconfirmed does) or after `resendAfterMs`.
   */
  private drain(): void {
    const client = this.connection?.client;
    if (this.filling || this.stopping || !client?.connected) return;
    this.filling = true;
    try {
      const topic = deviceTopic(this.credentials.deviceId, 'events');
      while (this.inFlight < this.window && client.connected) {
        const now = Date.now();
        // Resend what waited too long, and (at most once per gapResendMs) what a later confirmation skipped.
        const resendBefore = this.resendAll
          ? now
          : Math.max(now - this.resendAfterMs, Math.min(this.confirmedUpTo, now - this.gapResendMs));
        this.resendAll = false;
        const room = Math.min(this.window - this.inFlight, READ_AT_ONCE);
        const batch = this.outbox.due(room, new Date(resendBefore));
        if (batch.length === 0) break;
        this.outbox.markSent(
          batch.map((e) => e.seq),
          new Date(now),
        );
        for (const entry of batch) {
          this.inFlight++;
          this.sentAt.set(entry.id, now);
          client
            .publishAsync(topic, entry.payload, { qos: 1 })
            .catch((err: Error) => {
              if (!this.interrupted) this.log.warn({ err: err.message }, 'publish interrupted; will resend');
              this.interrupted = true;
            })
            .finally(() => {
              this.inFlight--;
              if (this.inFlight === 0) this.interrupted = false;
              this.topUp();
            });
        }
        if (batch.length < room) break;
      }
    } finally {
      this.filling = false;
    }
  }

  state(): SyncState {
    return {
      connected: this.connection?.client.connected ?? false,
      pendingEvents: this.outbox.size(),
      lastContactAt: this.lastContactAt,
      lastConfirmedAt: this.lastConfirmedAt,
    };
  }

  /** Sends telemetry (QoS 0: the next one supersedes a lost one). */
  publishTelemetry(telemetry: Telemetry): void {
    const client = this.connection?.client;
    if (client?.connected)
      client.publish(deviceTopic(this.credentials.deviceId, 'telemetry'), JSON.stringify(telemetry), {
        qos: 0,
      });
  }

  /** Announces in-procedure or online on the retained status topic. */
  publishStatus(state: DeviceState): void {
    this.connection?.client.publish(
      deviceTopic(this.credentials.deviceId, 'status'),
      JSON.stringify({ state, ts: new Date().toISOString() }),
      { qos: 1, retain: true },
    );
  }

  async stop(): Promise<void> {
    // Nothing new is handed to the client from here on (a PUBACK arriving now would start a read).
    this.stopping = true;
    clearInterval(this.timer);
    const client = this.connection?.client;
    if (client?.connected) {
      // Said if the broker takes it soon; otherwise the Last Will says it.
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([
        client
          .publishAsync(
            deviceTopic(this.credentials.deviceId, 'status'),
            JSON.stringify({ state: 'offline', ts: new Date().toISOString() }),
            { qos: 1, retain: true },
          )
          .catch(() => {}),
        new Promise((resolve) => {
          timeout = setTimeout(resolve, 2000);
        }),
      ]);
      clearTimeout(timeout);
    }
    await this.connection?.close();
  }
}

import { randomUUID } from 'node:crypto';
import type { Logger } from '@gic/shared/logging/logger.js';
import {
  commandResultSchema,
  configReportSchema,
  type DeviceCommand,
} from '@gic/shared/messages/commands.js';
import {
  type DeviceEvent,
  deviceEventSchema,
  deviceStatusSchema,
  telemetrySchema,
} from '@gic/shared/messages/events.js';
import { allDevicesTopic, deviceTopic, parseDeviceTopic } from '@gic/shared/messages/topics.js';
import { connectMqtt, type MqttConnection } from '@gic/shared/mqtt/mqtt-connection.js';
import { signServiceToken } from '../auth/session-tokens.js';
import { SERVICE_CLIENT_PREFIX } from '../broker/broker-policy.js';
import type { LocalBroker } from '../broker/local-broker.js';
import { type Database, inTransaction } from '../db/database.js';
import { applyCommandResult, unansweredCommands } from '../devices/commands-repo.js';
import { configCommand } from '../devices/config-command.js';
import { recordConfigReport, unconfirmedConfig } from '../devices/config-repo.js';
import { setDeviceStatus } from '../devices/devices-repo.js';
import { recordTelemetry } from '../devices/telemetry-history.js';
import { applyEvent } from './apply-event.js';
import { applyFrameRun, type FrameItem } from './apply-frame-run.js';
import { insertDeadLetter } from './ingest-repo.js';

export interface IngestStats {
  applied: number;
  duplicates: number;
  deadLettered: number;
}

interface Message {
  topic: string;
  payload: Buffer;
}

type Parsed =
  | { kind: 'event'; deviceId: string; event: DeviceEvent; topic: string; text: string }
  | { kind: 'status' | 'telemetry' | 'cmd/result'; deviceId: string; text: string }
  | { kind: 'bad'; deviceId: string | null; topic: string; text: string; reason: string; id?: string };

/**
 * Messages taken into one PostgreSQL transaction at most: a device's backlog arrives faster than one
 * transaction a message could take it, and larger batches mean fewer commits (200 drained about 15%
 * slower in bench:sync).
 */
const BATCH = 1000;

function parse({ topic, payload }: Message): Parsed {
  const parsedTopic = parseDeviceTopic(topic);
  const deviceId = parsedTopic?.deviceId ?? null;
  const text = payload.toString('utf8');
  if (
    parsedTopic?.kind === 'status' ||
    parsedTopic?.kind === 'telemetry' ||
    parsedTopic?.kind === 'cmd/result'
  ) {
    return { kind: parsedTopic.kind, deviceId: parsedTopic.deviceId, text };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { kind: 'bad', deviceId, topic, text, reason: 'payload is not JSON' };
  }
  const rawId = (raw as { id?: unknown } | null)?.id;
  const id = typeof rawId === 'string' && /^[0-9a-f-]{36}$/i.test(rawId) ? rawId : undefined;
  const parsed = deviceEventSchema.safeParse(raw);
  if (!parsed.success) {
    const reason = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    return { kind: 'bad', deviceId, topic, text, reason, ...(id ? { id } : {}) };
  }
  if (!deviceId || parsedTopic?.kind !== 'events') {
    return { kind: 'bad', deviceId, topic, text, reason: 'topic is not a device events topic' };
  }
  return { kind: 'event', deviceId, event: parsed.data, topic, text };
}

export interface IngestOptions {
  /** Subscribe to events through this MQTT 5 shared subscription group (needs an MQTT 5 broker). */
  sharedGroup?: string;
  /**
   * The embedded broker in this process: the ingest takes messages from its router and publishes
   * through it, with no MQTT connection (the URL is then unused). Not with `sharedGroup`.
   */
  local?: LocalBroker;
}

/**
 * Consumes every device's `events` topic, validates each payload, commits it to PostgreSQL
 * idempotently and only then tells the device on its `ack` topic that it may delete the event.
 * Messages are taken in arrival order, in batches of up to BATCH per transaction (a savepoint each,
 * so one bad event cannot undo the others; a run of frame analyses goes in a few statements, with
 * one savepoint), and acknowledged per device in one message a batch.
 */
export class IngestService {
  readonly stats: IngestStats = { applied: 0, duplicates: 0, deadLettered: 0 };
  /** Messages parsed as they arrive (while the transaction before them waits on PostgreSQL). */
  private readonly queue: Parsed[] = [];
  private draining?: Promise<void>;
  private connection?: MqttConnection;
  private unsubscribeLocal?: () => Promise<void>;
  private topics: string[] = [];

  constructor(
    private readonly db: Database,
    private readonly secret: Uint8Array,
    private readonly mqttUrl: string,
    private readonly log: Logger,
    private readonly onProcessed: (outcome: keyof IngestStats) => void = () => {},
    private readonly options: IngestOptions = {},
  ) {}

  private markSubscribed: () => void = () => {};
  /** Resolves once the ingest has first subscribed to every device's topics (start does not wait). */
  readonly subscribed = new Promise<void>((resolve) => {
    this.markSubscribed = resolve;
  });

  async start(): Promise<void> {
    const { sharedGroup, local } = this.options;
    if (sharedGroup && local)
      throw new Error('a shared subscription group needs an MQTT 5 broker, not the local one');
    // Events through the shared group: the broker gives each to one ingest process of the group. Status
    // and telemetry to each process (an MQTT 5 broker sends no retained message to a shared
    // subscription, and both are idempotent writes of the latest).
    const events = sharedGroup
      ? `$share/${sharedGroup}/${allDevicesTopic('events')}`
      : allDevicesTopic('events');
    // Command results too: applying one is idempotent (a status only moves forward).
    this.topics = [
      events,
      allDevicesTopic('status'),
      allDevicesTopic('telemetry'),
      allDevicesTopic('cmd/result'),
    ];
    const take = (topic: string, payload: Buffer) => {
      this.queue.push(parse({ topic, payload }));
      this.kick();
    };
    if (local) {
      this.unsubscribeLocal = await local.subscribe(this.topics, take);
      this.log.info('ingest attached to the embedded broker in this process');
      this.markSubscribed();
      return;
    }
    const name = 'ingest';
    this.connection = await connectMqtt({
      url: this.mqttUrl,
      clientId: `${SERVICE_CLIENT_PREFIX}${name}-${randomUUID().slice(0, 8)}`,
      username: name,
      password: () => signServiceToken(this.secret, name),
      ...(sharedGroup ? { protocolVersion: 5 as const } : {}),
    });
    const { client } = this.connection;
    client.on('connect', () => {
      this.log.info({ sharedGroup: sharedGroup ?? null }, 'ingest connected to broker');
      client.subscribe(this.topics, { qos: 1 }, (err) => {
        if (err) this.log.error({ err }, 'ingest could not subscribe');
        else this.markSubscribed();
      });
    });
    client.on('error', (err) => this.log.warn({ err: err.message }, 'ingest mqtt error'));
    client.on('message', take);
  }

  /** Sends to a device (QoS 1): through the local broker, or on the MQTT connection. */
  private publish(topic: string, payload: string): void {
    const { local } = this.options;
    if (local) {
      if (!this.unsubscribeLocal) return; // stopped: the broker may be closing
      local
        .publish(topic, payload)
        .catch((err: Error) => this.log.warn({ topic, err: err.message }, 'ingest could not publish'));
    } else this.connection?.client.publish(topic, payload, { qos: 1 });
  }

  private kick(): void {
    this.draining ??= (async () => {
      while (this.queue.length > 0) await this.apply(this.queue.splice(0, BATCH));
    })().finally(() => {
      this.draining = undefined;
    });
  }

  /** Handles one message (as a batch of one); never throws. */
  handle(topic: string, payload: Buffer): Promise<void> {
    return this.handleBatch([{ topic, payload }]);
  }

  /** Handles messages in order; never throws (on a database outage nothing is acknowledged, so devices resend). */
  handleBatch(messages: Message[]): Promise<void> {
    return this.apply(messages.map(parse));
  }

  private async apply(parsed: Parsed[]): Promise<void> {
    const acks = new Map<string, string[]>();
    const ack = (deviceId: string, id: string) => {
      const ids = acks.get(deviceId);
      if (ids) ids.push(id);
      else acks.set(deviceId, [id]);
    };
    const refused: Extract<Parsed, { kind: 'bad' }>[] = [];
    const events = parsed.filter((p) => p.kind === 'event');
    if (events.length > 0) {
      try {
        const outcomes = await inTransaction(this.db, async (tx) => {
          const results: ('applied' | 'duplicates' | string)[] = [];
          const one = async ({ deviceId, event }: (typeof events)[number]) => {
            await tx.query('SAVEPOINT one_event');
            try {
              results.push((await applyEvent(tx, deviceId, event)) ? 'applied' : 'duplicates');
              await tx.query('RELEASE SAVEPOINT one_event');
            } catch (err) {
              await tx.query('ROLLBACK TO SAVEPOINT one_event');
              results.push((err as Error).message);
            }
          };
          for (let i = 0; i < events.length; ) {
            // A run of frame analyses (most of a backlog) goes in a few statements; should it fail,
            // it is replayed one event at a time, so only the culprit is refused.
            let end = i;
            while (end < events.length && events[end]!.event.type === 'frame.analysed') end++;
            if (end - i < 2) {
              await one(events[i]!);
              i++;
              continue;
            }
            const run = events.slice(i, end);
            await tx.query('SAVEPOINT frame_run');
            try {
              results.push(...(await applyFrameRun(tx, run as FrameItem[])));
              await tx.query('RELEASE SAVEPOINT frame_run');
            } catch {
              await tx.query('ROLLBACK TO SAVEPOINT frame_run');
              for (const e of run) await one(e);
            }
            i = end;
          }
          return results;
        });
        outcomes.forEach((outcome, i) => {
          const { deviceId, event, topic, text } = events[i]!;
          if (outcome === 'applied' || outcome === 'duplicates') {
            this.count(outcome);
            ack(deviceId, event.id);
          } else if (/belongs to another device/.test(outcome)) {
            refused.push({ kind: 'bad', deviceId, topic, text, reason: outcome, id: event.id });
          } else {
            // Not acknowledged: the device keeps the event and sends it again.
            this.log.error(
              { deviceId, eventId: event.id, err: outcome },
              'ingest failed; event left with device',
            );
          }
        });
      } catch (err) {
        this.log.error(
          { err: (err as Error).message, events: events.length },
          'ingest batch failed; events left with devices',
        );
      }
    }
    for (const p of parsed) {
      if (p.kind === 'status') {
        await this.handleReport(p.deviceId, p.text, 'device status', deviceStatusSchema, async (status) => {
          await setDeviceStatus(this.db, p.deviceId, status.state);
          if (status.state !== 'offline') await this.resendCommands(p.deviceId);
        });
      } else if (p.kind === 'cmd/result') {
        await this.handleReport(p.deviceId, p.text, 'command result', commandResultSchema, async (result) => {
          const outcome = await applyCommandResult(this.db, p.deviceId, result);
          // A config command's report (each one, not only the first: deferred keys are reported applied later).
          const report = configReportSchema.safeParse(result.detail);
          if (outcome !== 'unknown' && report.success) {
            const recorded = await recordConfigReport(
              this.db,
              p.deviceId,
              result.commandId,
              report.data,
              new Date(result.at),
            );
            this.log.debug({ deviceId: p.deviceId, version: report.data.version, recorded }, 'config report');
          }
          if (outcome === 'unknown')
            this.log.warn(
              { deviceId: p.deviceId, commandId: result.commandId },
              'result for an unknown command ignored',
            );
          else this.log.debug({ deviceId: p.deviceId, ...result, outcome }, 'command result');
        });
      } else if (p.kind === 'telemetry') {
        await this.handleReport(p.deviceId, p.text, 'telemetry', telemetrySchema, (telemetry) =>
          recordTelemetry(this.db, p.deviceId, telemetry),
        );
      }
    }
    for (const bad of [...parsed.filter((p) => p.kind === 'bad'), ...refused]) {
      if (await this.deadLetter(bad)) {
        // Acknowledged once kept, so a device does not resend a payload that can never be applied.
        if (bad.deviceId && bad.id) ack(bad.deviceId, bad.id);
      }
    }
    for (const [deviceId, ids] of acks) {
      for (let i = 0; i < ids.length; i += 1000) {
        this.publish(deviceTopic(deviceId, 'ack'), JSON.stringify({ ids: ids.slice(i, i + 1000) }));
      }
    }
  }

  /**
   * A device report that replaces the last one (status, telemetry): validated, then saved; a malformed
   * or unsaved one is logged and dropped, since the next supersedes it anyway.
   */
  private async handleReport<T>(
    deviceId: string,
    text: string,
    what: string,
    schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
    save: (data: T) => Promise<void>,
  ): Promise<void> {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      raw = undefined;
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      this.log.warn({ deviceId }, `malformed ${what} ignored`);
      return;
    }
    try {
      await save(parsed.data);
    } catch (err) {
      this.log.warn({ deviceId, err: (err as Error).message }, `${what} not saved`);
    }
  }

  /**
   * A device that comes (back) online is sent its commands still unanswered and unexpired (one issued
   * while it was away never reached it: it connects with a clean session), and those it accepted and
   * never finished answering (see unansweredCommands). The box does each id once, and answers a repeat
   * with its last answer, or `failed` when a restart cut it short.
   */
  private async resendCommands(deviceId: string): Promise<void> {
    for (const c of await unansweredCommands(this.db, deviceId)) {
      if (c.kind === 'config') continue; // sent below, with the configuration it carries
      const command: DeviceCommand = {
        id: c.id,
        kind: c.kind,
        issuedAt: c.issuedAt,
        expiresAt: c.expiresAt,
        issuedBy: c.issuedBy,
        ...(c.safeDuringProcedure ? { safeDuringProcedure: true } : {}),
        ...(c.payload ? { model: c.payload as DeviceCommand['model'] } : {}),
      };
      this.publish(deviceTopic(deviceId, 'cmd'), JSON.stringify(command));
    }
    // The latest desired configuration, until the box confirms it (the box takes each version once).
    const config = await unconfirmedConfig(this.db, deviceId);
    if (config) this.publish(deviceTopic(deviceId, 'cmd'), JSON.stringify(configCommand(config)));
  }

  private async deadLetter(bad: Extract<Parsed, { kind: 'bad' }>): Promise<boolean> {
    try {
      await insertDeadLetter(this.db, {
        deviceId: bad.deviceId,
        topic: bad.topic,
        payload: bad.text,
        reason: bad.reason,
      });
      this.count('deadLettered');
      this.log.warn(
        { deviceId: bad.deviceId, topic: bad.topic, reason: bad.reason },
        'payload dead-lettered',
      );
      return true;
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'dead letter not saved');
      return false;
    }
  }

  private count(outcome: keyof IngestStats) {
    this.stats[outcome]++;
    this.onProcessed(outcome);
  }

  /** Stops taking messages, finishes those in hand, then disconnects. */
  async stop(): Promise<void> {
    const client = this.connection?.client;
    if (client?.connected) {
      await client.unsubscribeAsync(this.topics).catch(() => {});
    }
    await this.unsubscribeLocal?.();
    while (this.draining) await this.draining;
    this.unsubscribeLocal = undefined;
    await this.connection?.close();
  }
}

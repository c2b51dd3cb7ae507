// One simulated edge box: a real MQTT client with its own Ed25519 key (its password a JWT it signs, as
// the edge's), retained status with an `offline` Last Will, telemetry (QoS 0), events (QoS 1) kept in
// an outbox until the hub acknowledges them (resent when unacknowledged, as OutboxPublisher does),
// and remote commands answered by the edge's own CommandHandler and decision rule (self-test, and
// install-model with the edge's runner: sim-model.mjs).
import { join } from 'node:path';
import { CommandHandler } from '@gic/edge/commands/command-handler.js';
import { runSelfTest } from '@gic/edge/commands/self-test.js';
import { BROKER_AUDIENCE, signDeviceToken } from '@gic/provisioning/device-token.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { ackSchema } from '@gic/shared/messages/events.js';
import { deviceTopic } from '@gic/shared/messages/topics.js';
import mqtt from 'mqtt';
import { eventChecker, ProcedureScript, telemetry } from './device-messages.mjs';
import { boxModelRunner, installFirstModel } from './sim-model.mjs';

/** Events handed to the broker and not yet confirmed, at most (the edge's OutboxPublisher window). */
const WINDOW = 200;
/** An event unconfirmed this long is sent again (ms; the edge's default). */
const RESEND_AFTER_MS = 10_000;
const silent = createLogger('bench-device', 'silent');
const checkEvent = eventChecker();

/** The edge's SQLite command ledger, in memory: a command id is claimed once, its last answer kept. */
class MemoryLedger {
  results = new Map();
  claim(id) {
    if (this.results.has(id)) return false;
    this.results.set(id, undefined);
    return true;
  }
  record(result) {
    this.results.set(result.commandId, result);
  }
  lastResult(id) {
    return this.results.get(id);
  }
}

export class SimDevice {
  /** Events appended and not yet handed to the broker (the outbox's unsent rows). */
  waiting = [];
  /** Events handed to the broker and not yet acknowledged, by id. */
  inFlight = new Map();
  /** Publish -> ack times (ms) since the last `takeLags()`. */
  lags = [];
  counts = { offered: 0, published: 0, resent: 0, acked: 0 };
  /** When this box sent each final command answer (performance.now()), by command id. */
  answered = new Map();
  script = new ProcedureScript();
  connected = false;
  /** Its model downloads: { startedAt, endedAt, bytes, status }. */
  downloads = [];
  /** The command ledger: each command's last answer. */
  ledger = new MemoryLedger();

  /**
   * @param {{ deviceId: string, privateJwk: object }} credentials from enrolment
   * @param {{ dataDir: string, db: { exec(sql: string): void }, health: import('./sim-model.mjs').SharedHealthCheck }} box
   *   where the self-test writes (and, under `{dataDir}/{deviceId}/models`, this box's models), and the health check
   */
  constructor(credentials, mqttUrl, box) {
    this.deviceId = credentials.deviceId;
    this.privateJwk = credentials.privateJwk;
    this.mqttUrl = mqttUrl;
    this.topic = {
      status: deviceTopic(this.deviceId, 'status'),
      telemetry: deviceTopic(this.deviceId, 'telemetry'),
      events: deviceTopic(this.deviceId, 'events'),
      ack: deviceTopic(this.deviceId, 'ack'),
      cmd: deviceTopic(this.deviceId, 'cmd'),
      result: deviceTopic(this.deviceId, 'cmd/result'),
    };
    this.modelsDir = join(box.dataDir, this.deviceId, 'models');
    this.commands = new CommandHandler({
      ledger: this.ledger,
      publish: (result) => this.answer(result),
      procedureRunning: () => this.script.inProcedure,
      runners: {
        'self-test': (command) =>
          runSelfTest(
            {
              models: () => ({
                loaded: [{ id: 'pp-ocrv4-det', version: '4.0.0', executionProvider: 'cuda' }],
                off: [],
              }),
              source: () => ({ state: 'live' }),
              dataDir: box.dataDir,
              db: box.db,
              diskWarnFreeBytes: 1e9,
            },
            command,
          ),
        'install-model': boxModelRunner({
          modelsDir: this.modelsDir,
          procedureRunning: () => this.script.inProcedure,
          health: box.health,
          log: silent,
          downloads: this.downloads,
        }),
        'restart-capture': async () => ({ restarted: true }),
        'collect-logs': async () => {
          throw new Error('collect-logs is not simulated');
        },
      },
      log: silent,
    });
  }

  /** Writes the model the box runs before a rollout (tiny-polyp 1.0.0) into its models folder. */
  installFirstModel() {
    return installFirstModel(this.modelsDir);
  }

  /** Connects (signing its password) and resolves with the ms from the call to the first CONNACK. */
  async connect() {
    const started = performance.now();
    const password = await signDeviceToken(this.privateJwk, {
      deviceId: this.deviceId,
      audience: BROKER_AUDIENCE,
      ttlSeconds: 300,
    });
    this.client = mqtt.connect(this.mqttUrl, {
      protocolVersion: 4,
      clientId: this.deviceId,
      username: this.deviceId,
      password,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 30_000,
      keepalive: 30,
      will: {
        topic: this.topic.status,
        payload: Buffer.from(JSON.stringify({ state: 'offline', ts: new Date().toISOString() })),
        qos: 1,
        retain: true,
      },
    });
    this.client.on('error', () => {});
    this.client.on('close', () => {
      this.connected = false;
    });
    this.client.on('message', (topic, payload) => this.onMessage(topic, payload));
    return new Promise((resolve) => {
      this.client.on('connect', () => {
        this.connected = true;
        this.client.subscribe([this.topic.ack, this.topic.cmd], { qos: 1 });
        this.publishStatus();
        // Whatever was in flight on a lost connection goes again (the hub ingests idempotently).
        for (const entry of this.inFlight.values()) this.send(entry, true);
        this.drain();
        resolve(performance.now() - started);
      });
    });
  }

  publishStatus() {
    const state = this.script.inProcedure ? 'in-procedure' : 'online';
    this.client.publish(
      this.topic.status,
      JSON.stringify({ state, ts: new Date().toISOString(), version: 'bench-fleet' }),
      { qos: 1, retain: true },
    );
  }

  publishTelemetry() {
    if (!this.connected) return;
    const body = telemetry({
      procedureId: this.script.procedure?.id ?? null,
      pendingEvents: this.waiting.length + this.inFlight.size,
      sourceLive: true,
    });
    this.client.publish(this.topic.telemetry, JSON.stringify(body), { qos: 0 });
  }

  /** The next event of its procedures goes into the outbox, and out when the window allows. */
  emit() {
    const wasIn = this.script.inProcedure;
    this.append(this.script.next());
    if (wasIn !== this.script.inProcedure) this.publishStatus();
  }

  /** Ends the running procedure (an operator pressed stop), if one runs. */
  endProcedure() {
    const event = this.script.endNow();
    if (!event) return;
    this.append(event);
    this.publishStatus();
  }

  /** Starts a procedure if none runs, and keeps it running until `releaseProcedure()`. */
  holdProcedure() {
    if (!this.script.inProcedure) this.emit();
    this.script.procedure.planned = Number.POSITIVE_INFINITY;
  }

  /** Lets the held procedure end after ten more seconds of frames. */
  releaseProcedure() {
    const p = this.script.procedure;
    if (p) p.planned = p.frames + 30;
  }

  append(event) {
    this.counts.offered++;
    this.waiting.push({ id: event.id, payload: JSON.stringify(checkEvent(event)), firstAt: 0, lastAt: 0 });
    this.drain();
  }

  drain() {
    if (!this.connected) return;
    while (this.waiting.length > 0 && this.inFlight.size < WINDOW) {
      const entry = this.waiting.shift();
      this.inFlight.set(entry.id, entry);
      this.send(entry, false);
    }
  }

  send(entry, again) {
    const now = performance.now();
    if (!again) entry.firstAt = now;
    else this.counts.resent++;
    entry.lastAt = now;
    this.counts.published++;
    this.client.publish(this.topic.events, entry.payload, { qos: 1 });
  }

  /** Sends again what waited too long for its ack (called about once a second). */
  resendOverdue() {
    if (!this.connected) return;
    const before = performance.now() - RESEND_AFTER_MS;
    for (const entry of this.inFlight.values()) if (entry.lastAt < before) this.send(entry, true);
  }

  onMessage(topic, payload) {
    if (topic === this.topic.cmd) return void this.commands.handle(payload);
    if (topic !== this.topic.ack) return;
    let raw;
    try {
      raw = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    const parsed = ackSchema.safeParse(raw);
    if (!parsed.success) return;
    const now = performance.now();
    for (const id of parsed.data.ids) {
      const entry = this.inFlight.get(id);
      if (!entry) continue; // a second ack of a resent event
      this.inFlight.delete(id);
      this.lags.push(now - entry.firstAt);
      this.counts.acked++;
    }
    this.drain();
  }

  async answer(result) {
    if (result.status !== 'accepted') this.answered.set(result.commandId, performance.now());
    await this.client.publishAsync(this.topic.result, JSON.stringify(result), { qos: 1 });
  }

  /** Events not yet acknowledged, and the age (ms) of the oldest handed to the broker. */
  backlog(now = performance.now()) {
    let oldest = 0;
    for (const entry of this.inFlight.values()) {
      oldest = now - entry.firstAt;
      break; // a Map keeps insertion order: the first is the oldest
    }
    return { pending: this.waiting.length + this.inFlight.size, oldestMs: oldest };
  }

  takeLags() {
    const lags = this.lags;
    this.lags = [];
    return lags;
  }

  /** Goes offline as the edge does on a clean stop: `offline` retained, then disconnect. */
  async stop() {
    if (!this.client) return;
    if (this.connected)
      await Promise.race([
        this.client
          .publishAsync(
            this.topic.status,
            JSON.stringify({ state: 'offline', ts: new Date().toISOString() }),
            {
              qos: 1,
              retain: true,
            },
          )
          .catch(() => {}),
        new Promise((r) => setTimeout(r, 2000)),
      ]);
    await this.client.endAsync(true).catch(() => {});
  }
}

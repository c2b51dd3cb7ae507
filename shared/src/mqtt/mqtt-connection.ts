import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export interface MqttConnectionOptions {
  url: string;
  clientId: string;
  username: string;
  /** Signs a fresh short-lived password; called at start and every `refreshMs`. */
  password: () => Promise<string>;
  /** How often to sign a new password so a reconnect never presents an expired one (ms). */
  refreshMs?: number;
  will?: IClientOptions['will'];
  /** MQTT clean session; false keeps QoS 1 subscriptions across reconnects where the broker can. */
  clean?: boolean;
  reconnectPeriodMs?: number;
  /** 4 (MQTT 3.1.1, the default: the embedded broker speaks no 5) or 5. */
  protocolVersion?: 4 | 5;
}

export interface MqttConnection {
  client: MqttClient;
  /** Takes a fresh password now (the credentials changed), for the next (re)connection. */
  refreshPassword(): Promise<void>;
  close(): Promise<void>;
}

/** How long closing a connected client waits for the acknowledgements of what it has in flight (ms). */
const CLOSE_GRACE_MS = 3000;

/**
 * Connects with MQTT 3.1.1 (the embedded aedes broker speaks no 5; 5 when asked) and keeps
 * reconnecting forever.
 * Resolves once the client object exists, without waiting for the first CONNACK, so a process starts
 * even while the broker is down.
 */
export async function connectMqtt(options: MqttConnectionOptions): Promise<MqttConnection> {
  const refreshMs = options.refreshMs ?? 60_000;
  const client = mqtt.connect(options.url, {
    protocolVersion: options.protocolVersion ?? 4,
    clientId: options.clientId,
    username: options.username,
    password: await options.password(),
    clean: options.clean ?? true,
    reconnectPeriod: options.reconnectPeriodMs ?? 1000,
    connectTimeout: 10_000,
    keepalive: 30,
    ...(options.will ? { will: options.will } : {}),
  });
  const refresh = () =>
    options.password().then(
      (p) => {
        client.options.password = p;
      },
      () => {},
    );
  const timer = setInterval(() => void refresh(), refreshMs);
  timer.unref();
  return {
    client,
    refreshPassword: refresh,
    close: async () => {
      clearInterval(timer);
      // A graceful end waits for every QoS 1 message in flight to be acknowledged, which never comes
      // without a connection (it held a revoked box's stop until its 45 s limit). Unacknowledged
      // messages are their sender's to send again (the outbox keeps each event until the hub confirms
      // it): without a connection the end is immediate, and with one it waits CLOSE_GRACE_MS at most.
      if (!client.connected) return void (await client.endAsync(true));
      let timeout: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<'gave-up'>((resolve) => {
        timeout = setTimeout(() => resolve('gave-up'), CLOSE_GRACE_MS);
      });
      const ended = await Promise.race([client.endAsync(), gaveUp]);
      clearTimeout(timeout);
      if (ended === 'gave-up') client.stream?.destroy();
    },
  };
}

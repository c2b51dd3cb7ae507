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
      await client.endAsync();
    },
  };
}

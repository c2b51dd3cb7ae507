import { randomUUID } from 'node:crypto';
import type { Logger } from '@gic/shared/logging/logger.js';
import type { DeviceCommand } from '@gic/shared/messages/commands.js';
import { deviceTopic } from '@gic/shared/messages/topics.js';
import { connectMqtt, type MqttConnection } from '@gic/shared/mqtt/mqtt-connection.js';
import { signServiceToken } from '../auth/session-tokens.js';
import { SERVICE_CLIENT_PREFIX } from '../broker/broker-policy.js';

/** Sends a command to its device; how the API role reaches the broker. */
export interface CommandSender {
  /** True once the broker acknowledged it (PUBACK), false if it did not within `waitMs`. */
  send(deviceId: string, command: DeviceCommand, waitMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The API role's own MQTT connection (a hub service, `commands`), publishing each command with QoS 1
 * on the device's `cmd` topic. Connects in the background: the API starts while the broker is down,
 * and a command sent then is queued by the client until it connects (and stays `issued` meanwhile).
 */
export async function startCommandSender(
  mqttUrl: string,
  secret: Uint8Array,
  log: Logger,
): Promise<CommandSender> {
  const name = 'commands';
  const connection: MqttConnection = await connectMqtt({
    url: mqttUrl,
    clientId: `${SERVICE_CLIENT_PREFIX}${name}-${randomUUID().slice(0, 8)}`,
    username: name,
    password: () => signServiceToken(secret, name),
  });
  // Once per outage at warn (a reconnect is tried every second), then at debug.
  let warned = false;
  connection.client.on('connect', () => {
    warned = false;
  });
  connection.client.on('error', (err) => {
    log[warned ? 'debug' : 'warn']({ err: err.message }, 'command sender mqtt error');
    warned = true;
  });
  return {
    async send(deviceId, command, waitMs = 3000) {
      const published = connection.client
        .publishAsync(deviceTopic(deviceId, 'cmd'), JSON.stringify(command), { qos: 1 })
        .then(() => true);
      published.catch((err: Error) =>
        log.warn({ deviceId, commandId: command.id, err: err.message }, 'command not published'),
      );
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), waitMs);
      });
      try {
        return await Promise.race([published.catch(() => false), late]);
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => connection.close(),
  };
}

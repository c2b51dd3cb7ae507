import { createServer, type Server } from 'node:net';
import { BROKER_AUDIENCE } from '@gic/provisioning/device-token.js';
import type { Logger } from '@gic/shared/logging/logger.js';
import { isValidDeviceId } from '@gic/shared/messages/topics.js';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { verifyServiceToken } from '../auth/session-tokens.js';
import type { Database } from '../db/database.js';
import { authenticateDevice } from '../devices/device-auth.js';
import { mayPublish, maySubscribe, type Principal, SERVICE_CLIENT_PREFIX } from './broker-policy.js';

export interface BrokerHandle {
  close(): Promise<void>;
  /** Connected clients, for metrics. */
  clientCount(): number;
}

function refused(message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: 4 as const }) as AuthenticateError;
}

const principals = new WeakMap<Client, Principal>();

/**
 * The embedded aedes broker on TCP. Every client authenticates: a device with client id = username =
 * its device id and a short-lived JWT it signed as password; a hub service with a hub-signed token.
 * Broker policy hooks then keep each device inside its own topic tree.
 */
export async function startEmbeddedBroker(
  options: { host: string; port: number; db: Database; secret: Uint8Array },
  log: Logger,
): Promise<BrokerHandle> {
  const { db, secret } = options;
  const broker = await Aedes.createBroker({
    authenticate(client, username, password, done) {
      const token = password?.toString('utf8') ?? '';
      const id = client.id;
      const check = async (): Promise<Principal> => {
        if (id.startsWith(SERVICE_CLIENT_PREFIX)) {
          const name = await verifyServiceToken(secret, token);
          if (username !== name) throw new Error('username does not match the token');
          return { kind: 'service', name };
        }
        if (!isValidDeviceId(id) || username !== id)
          throw new Error('client id and username must be the device id');
        await authenticateDevice(db, token, BROKER_AUDIENCE);
        return { kind: 'device', deviceId: id };
      };
      check().then(
        (principal) => {
          principals.set(client, principal);
          done(null, true);
        },
        (err: Error) => {
          log.warn({ clientId: id, reason: err.message }, 'mqtt connection refused');
          done(refused('bad username or password'), false);
        },
      );
    },
    authorizePublish(client, packet, callback) {
      const principal = client ? principals.get(client) : undefined;
      if (!principal || !mayPublish(principal, packet.topic)) {
        log.warn({ clientId: client?.id, topic: packet.topic }, 'mqtt publish refused');
        // MQTT 3.1.1 has no negative PUBACK; the broker closes the connection (3.3.5).
        return callback(new Error('not authorised'));
      }
      callback(null);
    },
    authorizeSubscribe(client, subscription, callback) {
      const principal = principals.get(client);
      if (!principal || !maySubscribe(principal, subscription.topic)) {
        log.warn({ clientId: client.id, topic: subscription.topic }, 'mqtt subscribe refused');
        // A null subscription answers 0x80 (failure) in SUBACK and keeps the connection (MQTT 3.1.1, 3.9.3).
        return callback(null, null);
      }
      callback(null, subscription);
    },
  });
  broker.on('clientError', (client, err) =>
    log.debug({ clientId: client.id, err: err.message }, 'mqtt client error'),
  );

  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      server.on('error', (err) => log.error({ err }, 'MQTT listener error'));
      resolve();
    });
  });
  log.info({ host: options.host, port: options.port }, 'embedded MQTT broker listening');
  return {
    clientCount: () => broker.connectedClients,
    close: () =>
      new Promise<void>((resolve) => {
        server.close();
        broker.close(() => resolve());
      }),
  };
}

import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { BROKER_AUDIENCE } from '@gic/provisioning/device-token.js';
import type { Logger } from '@gic/shared/logging/logger.js';
import { isValidDeviceId } from '@gic/shared/messages/topics.js';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { verifyServiceToken } from '../auth/session-tokens.js';
import type { Database } from '../db/database.js';
import { authenticateDevice } from '../devices/device-auth.js';
import { revokedAmong } from '../devices/devices-repo.js';
import type { TlsMaterial } from '../tls-material.js';
import { type BrokerLimits, DEFAULT_BROKER_LIMITS } from './broker-limits.js';
import { mayPublish, maySubscribe, type Principal, SERVICE_CLIENT_PREFIX } from './broker-policy.js';
import { guardConnection } from './guarded-connection.js';
import { type LocalBroker, localBroker } from './local-broker.js';
import { MQTT_PUBLISH } from './mqtt-frame-scanner.js';
import { TokenBucket } from './token-bucket.js';

/** Why the broker closed a connection: an oversized packet, or a device over its rate. */
export type BrokerRefusal = 'oversize' | 'flood';

export interface BrokerHandle {
  close(): Promise<void>;
  /** Connected clients, for metrics. */
  clientCount(): number;
  /** The broker for parts of the hub in this process (the ingest), with no socket between. */
  local: LocalBroker;
}

function refused(message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: 4 as const }) as AuthenticateError;
}

const principals = new WeakMap<Client, Principal>();

/**
 * The embedded aedes broker on TCP (TLS when given a certificate). Every client authenticates: a
 * device with client id = username = its device id and a short-lived JWT it signed as password; a
 * hub service with a hub-signed token.
 * Broker policy hooks then keep each device inside its own topic tree. Each connection's packets are
 * checked as their headers arrive: one over `limits.maxPacketBytes`, or a device's PUBLISH beyond its
 * token buckets (hub services are not rate-limited), closes the connection, logged and reported to
 * `onRefused` (metrics). The buckets belong to the connection: a device cut off starts afresh only
 * after authenticating again.
 */
export async function startEmbeddedBroker(
  options: {
    host: string;
    port: number;
    db: Database;
    secret: Uint8Array;
    limits?: BrokerLimits;
    tls?: TlsMaterial;
    onRefused?: (reason: BrokerRefusal) => void;
    /** How often open device connections are checked against revocation (ms). */
    revocationSweepMs?: number;
  },
  log: Logger,
): Promise<BrokerHandle> {
  const { db, secret } = options;
  /** Open device connections, by device id: a revoked device's is closed at the next sweep. */
  const devices = new Map<string, Client>();
  const limits = options.limits ?? DEFAULT_BROKER_LIMITS;
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
          if (principal.kind === 'device') devices.set(principal.deviceId, client);
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
  broker.on('clientDisconnect', (client) => {
    if (devices.get(client.id) === client) devices.delete(client.id);
  });
  // Revocation is written by whichever process serves the API: the broker asks PostgreSQL about the
  // devices it holds open, one query a sweep, and closes the revoked ones.
  let sweeping = false;
  const sweep = setInterval(async () => {
    if (sweeping || devices.size === 0) return;
    sweeping = true;
    try {
      for (const id of await revokedAmong(db, [...devices.keys()])) {
        const client = devices.get(id);
        devices.delete(id);
        log.warn({ deviceId: id }, 'device revoked: its MQTT connection closed');
        client?.close();
      }
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'revocation sweep failed; tried again at the next');
    } finally {
      sweeping = false;
    }
  }, options.revocationSweepMs ?? 2000);
  sweep.unref();

  const accept = (socket: Socket) => {
    // The guard hands aedes a stream, not the socket: aedes's own socket settings never reach it, and
    // with Nagle's algorithm each small packet (a PUBACK) waits for the peer's delayed ACK (40 ms).
    socket.setNoDelay(true);
    let client: Client | undefined;
    const messages = new TokenBucket(limits.messagesPerSecond, limits.messageBurst);
    const bytes = new TokenBucket(limits.bytesPerSecond, limits.byteBurst);
    const refuse = (reason: BrokerRefusal, detail: Record<string, unknown>, message: string) => {
      log.warn({ clientId: client?.id ?? null, remoteAddress: socket.remoteAddress, ...detail }, message);
      options.onRefused?.(reason);
      return false;
    };
    const conn = guardConnection(socket, (header) => {
      if (header.bytes > limits.maxPacketBytes)
        return refuse(
          'oversize',
          { packetBytes: header.bytes, limit: limits.maxPacketBytes },
          'mqtt packet over the size limit: connection closed',
        );
      if (header.type !== MQTT_PUBLISH) return true;
      if (client && principals.get(client)?.kind === 'service') return true;
      if (messages.take(1) && bytes.take(header.bytes)) return true;
      return refuse(
        'flood',
        {
          messagesPerSecond: limits.messagesPerSecond,
          messageBurst: limits.messageBurst,
          bytesPerSecond: limits.bytesPerSecond,
          byteBurst: limits.byteBurst,
        },
        'mqtt client over its publish rate: connection closed',
      );
    });
    client = broker.handle(conn);
  };
  const server: Server = options.tls
    ? createTlsServer(
        { key: options.tls.key, cert: options.tls.cert, minVersion: options.tls.minVersion },
        accept,
      )
    : createServer(accept);
  // A TLS handshake that fails (an old protocol, a client that does not trust us) is only logged.
  server.on('tlsClientError', (err: Error, socket: Socket) =>
    log.debug({ err: err.message, remoteAddress: socket.remoteAddress }, 'mqtt TLS handshake failed'),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      server.on('error', (err) => log.error({ err }, 'MQTT listener error'));
      resolve();
    });
  });
  log.info(
    { host: options.host, port: options.port, tls: options.tls ? options.tls.minVersion : false, limits },
    'embedded MQTT broker listening',
  );
  return {
    clientCount: () => broker.connectedClients,
    local: localBroker(broker),
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(sweep);
        server.close();
        broker.close(() => resolve());
      }),
  };
}

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { generateDeviceKeyPair } from '@gic/provisioning/device-keys.js';
import { BROKER_AUDIENCE, signDeviceToken } from '@gic/provisioning/device-token.js';
import { type Listening, listenHttp } from '@gic/shared/http/listen.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { StartError } from '@gic/shared/process/start-error.js';
import type { JWK } from 'jose';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/ports.js';
import { createTestDatabase } from '../../test/test-database.js';
import { loadHubSecret } from './auth/hub-secret.js';
import { type BrokerHandle, startEmbeddedBroker } from './broker/embedded-broker.js';
import type { Database } from './db/database.js';
import { loadTlsMaterial, type TlsMaterial } from './tls-material.js';

const log = createLogger('test', 'silent');
const clients: MqttClient[] = [];

/** A self-signed P-256 certificate for localhost, made now. */
function selfSigned(dir: string, name: string) {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile };
}

/** Which TLS version a client limited to `maxVersion` gets from host:port, or the error it gets. */
function handshake(port: number, ca: Buffer, maxVersion: 'TLSv1.2' | 'TLSv1.3'): Promise<string> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca, maxVersion });
    socket.once('secureConnect', () => {
      resolve(socket.getProtocol() ?? 'none');
      socket.end();
    });
    socket.once('error', (err) => resolve(`refused: ${err.message}`));
  });
}

function httpsGet(port: number, ca: Buffer): Promise<{ status: number; body: string; protocol: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', servername: 'localhost', ca }, (res) => {
      let body = '';
      const protocol = (res.socket as TLSSocket).getProtocol() ?? '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body,
          protocol,
        }),
      );
    });
    req.once('error', reject);
    req.end();
  });
}

describe('TLS on the hub’s listeners', () => {
  let dir: string;
  let tls13: TlsMaterial;
  let tls12: TlsMaterial;
  let db: Database;
  let secret: Uint8Array;
  const device = { id: 'edge-ddd444', keys: undefined as unknown as { privateJwk: JWK; publicJwk: JWK } };
  const toClose: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gic-tls-'));
    const files = selfSigned(dir, 'hub');
    tls13 = loadTlsMaterial({ ...files, minVersion: 'TLSv1.3' });
    tls12 = loadTlsMaterial({ ...files, minVersion: 'TLSv1.2' });
    ({ db } = await createTestDatabase());
    secret = await loadHubSecret(db);
    device.keys = await generateDeviceKeyPair();
    await db.query("INSERT INTO devices (id, name, public_jwk) VALUES ($1, 'room', $2)", [
      device.id,
      JSON.stringify(device.keys.publicJwk),
    ]);
  });
  afterAll(async () => {
    for (const c of clients) c.end(true);
    for (const l of toClose) await l.close();
    await db.end();
    rmSync(dir, { recursive: true, force: true });
  });

  const serveHttps = async (tls: TlsMaterial): Promise<Listening> => {
    const listening = await listenHttp(
      () => new Response('hello over TLS'),
      { host: '127.0.0.1', port: await freePort(), hostSetting: 'H', portSetting: 'P', tls },
      log,
    );
    toClose.push(listening);
    return listening;
  };

  it('serves HTTPS with TLS 1.3 and refuses TLS 1.2 by default', async () => {
    const { port } = await serveHttps(tls13);
    expect(await httpsGet(port, tls13.cert)).toEqual({
      status: 200,
      body: 'hello over TLS',
      protocol: 'TLSv1.3',
    });
    expect(await handshake(port, tls13.cert, 'TLSv1.2')).toMatch(/^refused: .*(protocol version|alert)/i);
  });

  it('accepts TLS 1.2 when the minimum is lowered for old clients', async () => {
    const { port } = await serveHttps(tls12);
    expect(await handshake(port, tls12.cert, 'TLSv1.2')).toBe('TLSv1.2');
    expect(await handshake(port, tls12.cert, 'TLSv1.3')).toBe('TLSv1.3');
  });

  it('runs the broker over MQTTS: a device connects with TLS 1.3, a TLS 1.2 client is refused', async () => {
    const port = await freePort();
    const broker: BrokerHandle = await startEmbeddedBroker(
      { host: '127.0.0.1', port, db, secret, tls: tls13 },
      log,
    );
    toClose.push(broker);
    const password = await signDeviceToken(device.keys.privateJwk, {
      deviceId: device.id,
      audience: BROKER_AUDIENCE,
      ttlSeconds: 60,
    });
    const open = (maxVersion?: 'TLSv1.2') =>
      new Promise<MqttClient>((resolve, reject) => {
        const client = mqtt.connect(`mqtts://localhost:${port}`, {
          clientId: device.id,
          username: device.id,
          password,
          protocolVersion: 4,
          reconnectPeriod: 0,
          ca: tls13.cert,
          ...(maxVersion ? { maxVersion } : {}),
        });
        clients.push(client);
        client.once('connect', () => resolve(client));
        client.once('error', reject);
      });
    const client = await open();
    expect(client.connected).toBe(true);
    await client.publishAsync(`gic/v1/d/${device.id}/telemetry`, '{}', { qos: 1 });
    await expect(open('TLSv1.2')).rejects.toThrow(/protocol version|alert/i);
    // Plain MQTT on the TLS port gets nowhere.
    const plain = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
      clientId: device.id,
      username: device.id,
      password,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 2000,
    });
    clients.push(plain);
    await new Promise<void>((r) => plain.once('close', () => r()));
    expect(plain.connected).toBe(false);
  });

  it('stops at start with one sentence for a missing file or a key that is not the certificate’s', () => {
    const other = selfSigned(dir, 'other');
    expect(() =>
      loadTlsMaterial({ certFile: join(dir, 'absent.crt'), keyFile: other.keyFile, minVersion: 'TLSv1.3' }),
    ).toThrow(StartError);
    expect(() =>
      loadTlsMaterial({ certFile: join(dir, 'absent.crt'), keyFile: other.keyFile, minVersion: 'TLSv1.3' }),
    ).toThrow(/cannot read .*absent\.crt \(ENOENT\)/);
    expect(() =>
      loadTlsMaterial({ certFile: join(dir, 'hub.crt'), keyFile: other.keyFile, minVersion: 'TLSv1.3' }),
    ).toThrow(/do not go together/);
    writeFileSync(join(dir, 'junk.crt'), 'not a certificate');
    expect(() =>
      loadTlsMaterial({ certFile: join(dir, 'junk.crt'), keyFile: other.keyFile, minVersion: 'TLSv1.3' }),
    ).toThrow(StartError);
  });
});

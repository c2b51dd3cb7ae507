import { availableParallelism } from 'node:os';
import { ConfigError } from '@gic/shared/config/parse-env.js';
import { describe, expect, it } from 'vitest';
import { loadHubConfig } from './config.js';

describe('loadHubConfig', () => {
  it('runs every role on embedded defaults', () => {
    const c = loadHubConfig({});
    expect([...c.roles]).toEqual(['api', 'ingest', 'worker', 'broker']);
    expect(c.http.port).toBe(8080);
    expect(c.mqtt).toMatchObject({ embedded: true, url: 'mqtt://127.0.0.1:1883' });
    expect(c.s3).toMatchObject({ embedded: true, accessKeyId: '', bucket: 'gic-recordings' });
    expect(c.database.url).toBeUndefined();
  });

  it("leaves the batch decoder's threads to libav unless told, and refuses a count that is not whole", () => {
    expect(loadHubConfig({}).batch.decoderThreads).toBeUndefined();
    expect(loadHubConfig({ GIC_BATCH_DECODE_THREADS: 'auto' }).batch.decoderThreads).toBeUndefined();
    expect(loadHubConfig({ GIC_BATCH_DECODE_THREADS: '0' }).batch.decoderThreads).toBe(0);
    expect(loadHubConfig({ GIC_BATCH_DECODE_THREADS: '1' }).batch.decoderThreads).toBe(1);
    expect(() => loadHubConfig({ GIC_BATCH_DECODE_THREADS: '1.5' })).toThrow(/GIC_BATCH_DECODE_THREADS/);
    expect(() => loadHubConfig({ GIC_BATCH_DECODE_THREADS: '-1' })).toThrow(/GIC_BATCH_DECODE_THREADS/);
  });

  it('gives the text models every core unless told, and refuses a count that is not whole', () => {
    expect(loadHubConfig({}).batch.textThreads).toBe(availableParallelism());
    expect(loadHubConfig({ GIC_BATCH_TEXT_THREADS: '3' }).batch.textThreads).toBe(3);
    expect(() => loadHubConfig({ GIC_BATCH_TEXT_THREADS: '0' })).toThrow(/GIC_BATCH_TEXT_THREADS/);
    expect(() => loadHubConfig({ GIC_BATCH_TEXT_THREADS: 'many' })).toThrow(/GIC_BATCH_TEXT_THREADS/);
  });

  it('uses external services when their URLs are set', () => {
    const c = loadHubConfig({
      DATABASE_URL: 'postgres://u:p@db:5432/gic',
      S3_ENDPOINT: 'http://minio:9000',
      S3_ACCESS_KEY_ID: 'a',
      S3_SECRET_ACCESS_KEY: 'b',
      MQTT_URL: 'mqtt://broker:1883',
      GIC_HUB_ROLES: 'api,worker',
    });
    expect([...c.roles]).toEqual(['api', 'worker']);
    expect(c.mqtt.embedded).toBe(false);
    expect(c.s3.embedded).toBe(false);
  });

  it('reports every bad setting in one error', () => {
    expect(() =>
      loadHubConfig({
        GIC_HUB_PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        GIC_HUB_ROLES: 'api,cooking',
        GIC_ADMIN_PASSWORD: 'short',
      }),
    ).toThrowError(ConfigError);
    try {
      loadHubConfig({
        GIC_HUB_PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        GIC_HUB_ROLES: 'api,cooking',
        GIC_ADMIN_PASSWORD: 'short',
      });
    } catch (err) {
      const text = (err as ConfigError).message;
      for (const name of ['GIC_HUB_PORT', 'DATABASE_URL', 'GIC_HUB_ROLES', 'GIC_ADMIN_PASSWORD'])
        expect(text).toContain(name);
    }
  });

  it('limits MQTT packets and publish rates, with defaults above what an edge sends', () => {
    const c = loadHubConfig({});
    expect(c.mqtt.limits).toEqual({
      maxPacketBytes: 256 * 1024,
      messagesPerSecond: 20_000,
      messageBurst: 200_000,
      bytesPerSecond: 16 * 1024 * 1024,
      byteBurst: 64 * 1024 * 1024,
    });
    const set = loadHubConfig({
      GIC_MQTT_MAX_PACKET_BYTES: '1048576',
      GIC_MQTT_RATE_MSGS_PER_S: '100',
      GIC_MQTT_RATE_MSGS_BURST: '500',
      GIC_MQTT_RATE_KIB_PER_S: '64',
      GIC_MQTT_RATE_KIB_BURST: '256',
    });
    // The byte burst is never below the largest packet, which it would otherwise always refuse.
    expect(set.mqtt.limits).toEqual({
      maxPacketBytes: 1048576,
      messagesPerSecond: 100,
      messageBurst: 500,
      bytesPerSecond: 64 * 1024,
      byteBurst: 1048576,
    });
    expect(() => loadHubConfig({ GIC_MQTT_MAX_PACKET_BYTES: '10' })).toThrow(/GIC_MQTT_MAX_PACKET_BYTES/);
    expect(() => loadHubConfig({ GIC_MQTT_RATE_MSGS_PER_S: 'lots' })).toThrow(/GIC_MQTT_RATE_MSGS_PER_S/);
  });

  it('serves plain HTTP and MQTT without a certificate, HTTPS and MQTTS with one', () => {
    const plain = loadHubConfig({});
    expect(plain.tls).toBeUndefined();
    expect(plain.http.publicUrl).toBe('http://127.0.0.1:8080');
    const c = loadHubConfig({
      GIC_TLS_CERT_FILE: '/etc/gic/hub.crt',
      GIC_TLS_KEY_FILE: '/etc/gic/hub.key',
      GIC_HUB_PUBLIC_HOST: 'hub.example.org',
    });
    expect(c.tls).toEqual({
      certFile: '/etc/gic/hub.crt',
      keyFile: '/etc/gic/hub.key',
      minVersion: 'TLSv1.3',
    });
    expect(c.http.publicUrl).toBe('https://hub.example.org:8080');
    expect(c.mqtt.publicUrl).toBe('mqtts://hub.example.org:1883');
    // The hub's own services reach the broker by the certificate's name too.
    expect(c.mqtt.url).toBe('mqtts://hub.example.org:1883');
    expect(
      loadHubConfig({ GIC_TLS_CERT_FILE: '/c', GIC_TLS_KEY_FILE: '/k', GIC_TLS_MIN_VERSION: '1.2' }).tls
        ?.minVersion,
    ).toBe('TLSv1.2');
    expect(() => loadHubConfig({ GIC_TLS_CERT_FILE: '/c' })).toThrow(/GIC_TLS_KEY_FILE/);
    expect(() =>
      loadHubConfig({ GIC_TLS_CERT_FILE: '/c', GIC_TLS_KEY_FILE: '/k', GIC_TLS_MIN_VERSION: '1.0' }),
    ).toThrow(/GIC_TLS_MIN_VERSION/);
  });

  it('allows no cross-origin caller unless origins are listed', () => {
    expect(loadHubConfig({}).corsOrigins).toEqual([]);
    expect(
      loadHubConfig({ GIC_HTTP_CORS_ORIGINS: 'https://a.example, http://b.example:3000' }).corsOrigins,
    ).toEqual(['https://a.example', 'http://b.example:3000']);
    expect(() => loadHubConfig({ GIC_HTTP_CORS_ORIGINS: 'https://a.example/path' })).toThrow(
      /GIC_HTTP_CORS_ORIGINS/,
    );
    expect(() => loadHubConfig({ GIC_HTTP_CORS_ORIGINS: '*' })).toThrow(/GIC_HTTP_CORS_ORIGINS/);
  });
});

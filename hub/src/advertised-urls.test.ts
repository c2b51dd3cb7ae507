import { describe, expect, it } from 'vitest';
import { advertisedUrls, isLoopback, loopbackWarnings } from './advertised-urls.js';
import { loadHubConfig } from './config.js';

describe('the URLs the hub gives devices', () => {
  it('on defaults: all on loopback, where the hub listens, with no warning', () => {
    const c = loadHubConfig({});
    expect(advertisedUrls(c).map((u) => u.url)).toEqual([
      'http://127.0.0.1:8080',
      'mqtt://127.0.0.1:1883',
      'http://127.0.0.1:9000',
    ]);
    expect(loopbackWarnings(c)).toEqual([]);
  });

  it('with a listen address and a public name: every part listens there and devices get the name', () => {
    const c = loadHubConfig({ GIC_HUB_HOST: '0.0.0.0', GIC_HUB_PUBLIC_HOST: 'hub.clinic.example' });
    expect(c.http.host).toBe('0.0.0.0');
    expect(c.mqtt.host).toBe('0.0.0.0');
    expect(c.s3.embeddedHost).toBe('0.0.0.0');
    expect(advertisedUrls(c).map((u) => u.url)).toEqual([
      'http://hub.clinic.example:8080',
      'mqtt://hub.clinic.example:1883',
      'http://hub.clinic.example:9000',
    ]);
    // The hub itself reaches its own parts on loopback.
    expect(c.mqtt.url).toBe('mqtt://127.0.0.1:1883');
    expect(c.s3.endpoint).toBe('http://127.0.0.1:9000');
    expect(loopbackWarnings(c)).toEqual([]);
  });

  it('listening on one address: devices get that address unless told otherwise', () => {
    const c = loadHubConfig({ GIC_HUB_HOST: '10.1.2.3' });
    expect(advertisedUrls(c).map((u) => u.url)).toEqual([
      'http://10.1.2.3:8080',
      'mqtt://10.1.2.3:1883',
      'http://10.1.2.3:9000',
    ]);
    expect(c.mqtt.url).toBe('mqtt://10.1.2.3:1883');
  });

  it('warns for each loopback URL while the hub listens for other machines', () => {
    const c = loadHubConfig({ GIC_HUB_HOST: '0.0.0.0' });
    const warnings = loopbackWarnings(c);
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toBe(
      'devices are told http://127.0.0.1:8080 for the HTTP API, which only this machine can reach, while the hub listens on 0.0.0.0: set GIC_HUB_PUBLIC_HOST to the name or address other machines reach this one by',
    );
    expect(warnings[1]).toContain('mqtt://127.0.0.1:1883 for the MQTT broker');
    expect(warnings[2]).toContain('http://127.0.0.1:9000 for the object store (presigned uploads)');
    // One explicit URL fixed, the others still warned of.
    expect(
      loopbackWarnings(loadHubConfig({ GIC_HUB_HOST: '0.0.0.0', GIC_HUB_PUBLIC_URL: 'https://hub.example' })),
    ).toHaveLength(2);
  });

  it('keeps explicit URLs and external services as they are', () => {
    const c = loadHubConfig({
      GIC_HUB_HOST: '0.0.0.0',
      GIC_HUB_PUBLIC_HOST: 'hub.example',
      GIC_HUB_PUBLIC_URL: 'https://hub.example',
      MQTT_URL: 'mqtts://broker.example:8883',
      S3_ENDPOINT: 'http://minio:9000',
      S3_PUBLIC_ENDPOINT: 'https://s3.example',
      S3_ACCESS_KEY_ID: 'a',
      S3_SECRET_ACCESS_KEY: 'b',
    });
    expect(advertisedUrls(c).map((u) => u.url)).toEqual([
      'https://hub.example',
      'mqtts://broker.example:8883',
      'https://s3.example',
    ]);
  });

  it('writes IPv6 addresses in brackets', () => {
    const c = loadHubConfig({ GIC_HUB_HOST: '::', GIC_HUB_PUBLIC_HOST: 'fd00::5' });
    expect(c.http.publicUrl).toBe('http://[fd00::5]:8080');
    expect(c.mqtt.url).toBe('mqtt://[::1]:1883');
  });

  it('tells loopback from other addresses', () => {
    for (const h of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '10.0.0.1', 'hub.example', '::']) expect(isLoopback(h)).toBe(false);
  });

  it('refuses a host with a scheme or a port', () => {
    expect(() => loadHubConfig({ GIC_HUB_PUBLIC_HOST: 'http://hub.example:8080' })).toThrowError(
      /GIC_HUB_PUBLIC_HOST: must be a host name or an IP address/,
    );
  });
});

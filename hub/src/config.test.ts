import { ConfigError } from '@gic/shared/config/parse-env.js';
import { describe, expect, it } from 'vitest';
import { loadHubConfig } from './config.js';

describe('loadHubConfig', () => {
  it('runs every role on embedded defaults', () => {
    const c = loadHubConfig({});
    expect([...c.roles]).toEqual(['api', 'ingest', 'worker', 'broker']);
    expect(c.http.port).toBe(8080);
    expect(c.mqtt).toMatchObject({ embedded: true, url: 'mqtt://127.0.0.1:1883' });
    expect(c.s3).toMatchObject({ embedded: true, accessKeyId: 'S3RVER', bucket: 'gic-recordings' });
    expect(c.database.url).toBeUndefined();
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
});

import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../config/parse-env.js';
import { startOpenAiTestServer } from '../testing/openai-test-server.js';
import { createVlmEngine, vlmConfigFromEnv } from './vlm-config.js';

describe('VLM configuration', () => {
  test('defaults to the local q4 export under the models folder', () => {
    expect(vlmConfigFromEnv({}, '/opt/gic/models')).toEqual({
      backend: 'onnx',
      modelDir: join('/opt/gic/models', 'medgemma-4b-it'),
      dtype: 'q4',
      device: 'cpu',
      maxWaiting: 2,
      timeoutMs: 60_000,
    });
    expect(
      vlmConfigFromEnv({ GIC_VLM_DTYPE: 'fp16', GIC_VLM_VISION_DTYPE: 'fp32', GIC_VLM_DEVICE: 'cuda' }, '/m'),
    ).toMatchObject({
      dtype: 'fp16',
      visionDtype: 'fp32',
      device: 'cuda',
    });
  });

  test('openai backend from URL, model and key; off without a URL; bad values listed', () => {
    expect(
      vlmConfigFromEnv(
        {
          GIC_VLM_BACKEND: 'openai',
          GIC_VLM_OPENAI_URL: 'http://10.0.0.5:8080',
          GIC_VLM_OPENAI_API_KEY: 'k',
        },
        '/m',
      ),
    ).toEqual({
      backend: 'openai',
      baseUrl: 'http://10.0.0.5:8080',
      model: 'medgemma-4b-it',
      apiKey: 'k',
      maxWaiting: 2,
      timeoutMs: 60_000,
    });
    expect(vlmConfigFromEnv({ GIC_VLM_BACKEND: 'openai' }, '/m')).toMatchObject({ backend: 'off' });
    expect(() => vlmConfigFromEnv({ GIC_VLM_DTYPE: 'q3', GIC_VLM_MAX_WAITING: '-1' }, '/m')).toThrow(
      ConfigError,
    );
  });

  test('createVlmEngine: a missing model is off with the reason, a server is probed, off is off', async () => {
    const missing = await createVlmEngine(
      vlmConfigFromEnv({ GIC_VLM_MODEL_DIR: '/nonexistent/medgemma' }, '/m'),
    );
    const status = missing.status();
    expect(status.state === 'off' && status.reason).toMatch(
      /not installed: \/nonexistent\/medgemma lacks config\.json/,
    );
    await missing.close();

    const server = await startOpenAiTestServer({ answer: () => 'ok' });
    const remote = await createVlmEngine(
      vlmConfigFromEnv(
        { GIC_VLM_BACKEND: 'openai', GIC_VLM_OPENAI_URL: server.url, GIC_VLM_OPENAI_MODEL: 'x' },
        '/m',
      ),
    );
    expect(remote.status()).toEqual({ state: 'ready', backend: 'openai', model: 'x' });
    await remote.close();
    await server.close();

    const off = await createVlmEngine(vlmConfigFromEnv({ GIC_VLM_BACKEND: 'off' }, '/m'));
    expect(off.status()).toEqual({ state: 'off', reason: expect.stringMatching(/GIC_VLM_BACKEND=off/) });
    await expect(off.generate({ messages: [] }).next()).rejects.toMatchObject({
      name: 'VlmUnavailableError',
    });
  });
});

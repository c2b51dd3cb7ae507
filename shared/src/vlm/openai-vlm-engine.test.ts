import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CONTRACT_QUESTION, drain, vlmContract } from '../../../test/vlm-contract.js';
import { type OpenAiTestServer, startOpenAiTestServer } from '../testing/openai-test-server.js';
import { apiRoot, OpenAiVlmEngine } from './openai-vlm-engine.js';
import { VlmTimeoutError, VlmUnavailableError } from './vlm-engine.js';

const ANSWER = 'A diminutive polyp is seen at 3 o clock, Paris 0-Is.';
const KEY = 'test-key-1';
let server: OpenAiTestServer;
let engine: OpenAiVlmEngine;

const lastText = (body: OpenAiTestServer['requests'][number]) => {
  const c = body.messages.at(-1)?.content;
  return typeof c === 'string' ? c : (c?.find((p) => p.type === 'text')?.text ?? '');
};

beforeAll(async () => {
  server = await startOpenAiTestServer({
    apiKey: KEY,
    chunkDelayMs: 3,
    answer: (body) => {
      const text = lastText(body);
      if (text === CONTRACT_QUESTION) return ANSWER;
      if (text === 'slow') return 'word '.repeat(500);
      const image = body.messages
        .flatMap((m) => (typeof m.content === 'string' ? [] : m.content))
        .find((p) => p.type === 'image_url');
      return image ? `image of ${image.image_url!.url.length} characters` : 'no image';
    },
  });
  engine = new OpenAiVlmEngine({ baseUrl: server.url, model: 'medgemma-test', apiKey: KEY, maxWaiting: 1 });
  expect(await engine.start()).toEqual({ state: 'ready', backend: 'openai', model: 'medgemma-test' });
});

afterAll(async () => {
  await engine?.close();
  await server?.close();
});

describe('OpenAiVlmEngine against an OpenAI-compatible server (SSE streaming)', () => {
  vlmContract({ engine: () => engine, answer: ANSWER });

  test('sends the conversation, max_tokens and stream:true, with images as JPEG data URLs', async () => {
    const rgb = new Uint8Array(32 * 24 * 3).fill(200);
    const { text } = await drain(
      engine.generate({
        messages: [
          { role: 'system', content: 'You are careful.' },
          { role: 'user', content: 'Look.', image: { width: 32, height: 24, rgb } },
        ],
        maxNewTokens: 50,
      }),
    );
    const body = server.requests.at(-1)!;
    expect(body).toMatchObject({ model: 'medgemma-test', stream: true, max_tokens: 50 });
    expect(body.messages[0]).toEqual({ role: 'system', content: 'You are careful.' });
    const parts = body.messages[1]!.content as { type: string; image_url?: { url: string } }[];
    expect(parts.map((p) => p.type)).toEqual(['image_url', 'text']);
    expect(parts[0]!.image_url!.url).toMatch(/^data:image\/jpeg;base64,\/9j\//);
    expect(text).toBe(`image of ${parts[0]!.image_url!.url.length} characters`);
  });

  test('the hard limit aborts the request: the server sees the client go', async () => {
    const before = server.abandoned;
    await expect(
      drain(engine.generate({ messages: [{ role: 'user', content: 'slow' }], timeoutMs: 200 })),
    ).rejects.toBeInstanceOf(VlmTimeoutError);
    await expect.poll(() => server.abandoned, { timeout: 2000 }).toBe(before + 1);
  });

  test('an unreachable server or a wrong key is off with the reason; it comes back when the server does', async () => {
    const wrongKey = new OpenAiVlmEngine({
      baseUrl: `${server.url}/v1/`,
      model: 'm',
      apiKey: 'nope',
      reprobeMs: 0,
    });
    const denied = await wrongKey.start();
    expect(denied.state === 'off' && denied.reason).toMatch(/HTTP 401/);

    const gone = await startOpenAiTestServer({ answer: () => 'back again' });
    const url = gone.url;
    await gone.close();
    const offline = new OpenAiVlmEngine({ baseUrl: url, model: 'm', reprobeMs: 0 });
    const status = await offline.start();
    expect(status.state).toBe('off');
    expect(status.state === 'off' && status.reason).toMatch(/unreachable: ECONNREFUSED/);
    await expect(
      drain(offline.generate({ messages: [{ role: 'user', content: 'hi' }] })),
    ).rejects.toBeInstanceOf(VlmUnavailableError);
    await offline.close();
    await wrongKey.close();
  });

  test('the API root takes a base URL with or without /v1', () => {
    expect(apiRoot('http://h:8080')).toBe('http://h:8080/v1');
    expect(apiRoot('http://h:11434/v1/')).toBe('http://h:11434/v1');
  });
});

/**
 * A small OpenAI-compatible chat completions server for tests: scripted answers, streamed as
 * server-sent events word by word (as llama.cpp's server, vLLM and Ollama stream), `max_tokens`
 * honoured with finish_reason 'length', usage in the last chunk, and an optional API key.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { scriptedTokens } from './scripted-vlm.js';

/** A chat completions request body as the server received it. */
export interface ChatCompletionBody {
  model: string;
  messages: {
    role: string;
    content: string | { type: string; text?: string; image_url?: { url: string } }[];
  }[];
  max_tokens?: number;
  stream?: boolean;
}

/** Options of startOpenAiTestServer. */
export interface OpenAiTestServerOptions {
  /** The answer to a request. */
  answer: (body: ChatCompletionBody) => string;
  /** Pause between streamed chunks, ms. Default 2. */
  chunkDelayMs?: number;
  /** Requests must carry `Authorization: Bearer <apiKey>` when set. */
  apiKey?: string;
  /** Model id listed by GET /v1/models. Default 'medgemma-test'. */
  model?: string;
}

/** A running test server. */
export interface OpenAiTestServer {
  /** http://127.0.0.1:port (without /v1). */
  url: string;
  /** Every chat completions body received. */
  requests: ChatCompletionBody[];
  /** Streams cut short because the client went away. */
  readonly abandoned: number;
  close(): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** Starts the server on a free loopback port. */
export async function startOpenAiTestServer(opts: OpenAiTestServerOptions): Promise<OpenAiTestServer> {
  const requests: ChatCompletionBody[] = [];
  const state = { abandoned: 0 };
  const model = opts.model ?? 'medgemma-test';
  const server: Server = createServer(async (req, res) => {
    if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"bad api key"}}');
      return;
    }
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: model, object: 'model' }] }));
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404).end();
      return;
    }
    const body = (await readJson(req)) as ChatCompletionBody;
    requests.push(body);
    const tokens = scriptedTokens(opts.answer(body));
    const sent = tokens.slice(0, body.max_tokens ?? tokens.length);
    let gone = false;
    res.on('close', () => {
      gone = !res.writableFinished;
    });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const event = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    const base = { id: `chatcmpl-${requests.length}`, object: 'chat.completion.chunk', model };
    event({
      ...base,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
    });
    for (const token of sent) {
      await new Promise((resolve) => setTimeout(resolve, opts.chunkDelayMs ?? 2));
      if (gone) {
        state.abandoned++;
        return;
      }
      event({ ...base, choices: [{ index: 0, delta: { content: token }, finish_reason: null }] });
    }
    const finish = sent.length < tokens.length ? 'length' : 'stop';
    event({ ...base, choices: [{ index: 0, delta: {}, finish_reason: finish }] });
    event({ ...base, choices: [], usage: { prompt_tokens: 10, completion_tokens: sent.length } });
    res.end('data: [DONE]\n\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get abandoned() {
      return state.abandoned;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

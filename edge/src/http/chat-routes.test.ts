import { randomUUID } from 'node:crypto';
import { offVlmEngine } from '@gic/shared/chat/off-engine.js';
import { type AppEnv, installErrorHandler, requestContext } from '@gic/shared/http/request-context.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { encodeJpeg } from '@gic/shared/media/encode-jpeg.js';
import type { FrameAnalysis } from '@gic/shared/messages/events.js';
import { ScriptedVlmEngine } from '@gic/shared/testing/scripted-vlm.js';
import type { VlmEngine, VlmRequest } from '@gic/shared/vlm/vlm-engine.js';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { edgeChatService } from '../chat/edge-chat.js';
import { ProcedureLog } from '../live/procedure-log.js';
import { SqliteOutbox } from '../outbox/sqlite-outbox.js';
import { openEdgeDatabase } from '../store/edge-database.js';
import { chatRoutes } from './chat-routes.js';

/** A scripted answer that keeps each request the model was given. */
const answering = (seen: VlmRequest[], text: string) => (req: VlmRequest) => {
  seen.push(req);
  return text;
};

const frame = (frameIndex: number, polyp: boolean): FrameAnalysis => ({
  frameIndex,
  ptsMs: frameIndex * 500,
  width: 512,
  height: 288,
  quality: { sharpness: 40, brightness: 0.4, blurred: false, exposure: 'ok', inBody: true },
  privacyRegions: [],
  detections: polyp
    ? [{ label: 'polyp', score: 0.9, box: { x: 0.4, y: 0.4, w: 0.1, h: 0.1 }, modelId: 'tiny' }]
    : [],
  models: [],
  modelsOff: [],
  latencyMs: 5,
});

function setUp(vlm: VlmEngine = offVlmEngine('no model in this test'), jpeg?: Buffer) {
  const db = openEdgeDatabase(':memory:');
  const outbox = new SqliteOutbox(db);
  const procedures = new ProcedureLog(db, outbox);
  const screen = { procedureId: undefined as string | undefined };
  let notified = 0;
  const app = new Hono<AppEnv>();
  app.use('*', requestContext(createLogger('test', 'silent')));
  installErrorHandler(app);
  app.route(
    '/api/v1/chat',
    chatRoutes({
      service: edgeChatService({
        db,
        outbox,
        vlm,
        // The preview with the live analysis of its frame (nothing on it to mask).
        onScreen: () => ({
          procedureId: screen.procedureId,
          snapshot: jpeg
            ? { jpeg, analyses: [{ ...frame(0, false), width: 64, height: 36 }], layout: [] }
            : undefined,
        }),
      }),
      currentProcedureId: () => screen.procedureId,
      recorded: () => notified++,
    }),
  );
  const post = (body: unknown, accept = 'application/json') =>
    app.request('/api/v1/chat/message', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const chatEvents = () =>
    outbox
      .due(100, new Date())
      .filter((e) => e.type === 'chat.message')
      .map((e) => JSON.parse(e.payload));
  const start = () => {
    const id = procedures.start({ kind: 'test' }, 'test pattern', { trigger: 'operator', operator: null }).id;
    // 10 s of frames at 2 per second, a polyp seen from 2 s to 4 s.
    for (let i = 0; i < 20; i++) procedures.recordFrame(id, frame(i, i >= 4 && i < 8));
    screen.procedureId = id;
    return id;
  };
  return { app, post, start, screen, chatEvents, notified: () => notified };
}

/** The events of a Server-Sent Events body. */
async function sseEvents(res: Response) {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))!.slice(7);
      const data = lines
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      return { event, data: JSON.parse(data) };
    });
}

describe('edge chat routes', () => {
  it('answers a timeline question with citations and stores both messages for the hub, with no model', async () => {
    const { app, post, start, screen, chatEvents, notified } = setUp();
    const first = start();
    const res = await post({ text: '  How many polyps so far?  ', by: 'dr.jones' });
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      message: { sessionId: string; text: string; by: string; procedureId: string };
      reply: { text: string; source: string; citations: { tMs: number; label: string }[] };
      model: { state: string; reason: string };
      notice: string;
    };
    expect(body.message).toMatchObject({
      procedureId: first,
      text: 'How many polyps so far?',
      by: 'dr.jones',
    });
    expect(body.reply.source).toBe('timeline');
    expect(body.reply.text).toMatch(/the detector flagged 1 polyp sighting \(runs of frames\): at 0:02/);
    expect(body.reply.citations).toEqual([expect.objectContaining({ tMs: 2000, label: 'polyp 0.90' })]);
    expect(body.model).toEqual({ state: 'off', reason: 'no model in this test' });
    expect(body.notice).toMatch(/not a diagnosis/);
    const { sessionId } = body.message;
    // Both go to the hub, the answer with its citations.
    expect(chatEvents().map((e) => [e.body.role, e.body.source, e.body.citations?.length])).toEqual([
      ['user', undefined, undefined],
      ['assistant', 'timeline', 1],
    ]);
    expect(notified()).toBe(2);

    // A follow-up in the same session stays with that procedure, even once the screen shows another.
    start();
    expect(screen.procedureId).not.toBe(first);
    expect((await post({ sessionId, text: 'Is it an adenoma?' })).status).toBe(201);
    const history = await app.request(`/api/v1/chat/${sessionId}`);
    expect(history.status).toBe(200);
    const h = (await history.json()) as {
      procedureId: string;
      messages: { role: string; text: string; source?: string; citations?: unknown[] }[];
    };
    expect(h.procedureId).toBe(first);
    expect(h.messages.map((m) => [m.role, m.source])).toEqual([
      ['user', undefined],
      ['assistant', 'timeline'],
      ['user', undefined],
      ['assistant', 'unavailable'],
    ]);
    expect(h.messages[1]!.citations).toHaveLength(1);
    expect(h.messages[3]!.text).toContain('none is installed here (no model in this test)');
  });

  it('streams the answer as Server-Sent Events when asked to', async () => {
    const seen: VlmRequest[] = [];
    const engine = new ScriptedVlmEngine(
      answering(seen, 'The polyp at [0:03] looks small; the endoscopist decides.'),
    );
    const { post, start } = setUp(engine);
    start();
    const res = await post({ text: 'Describe the polyp' }, 'text/event-stream');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await sseEvents(res);
    expect(events[0]).toMatchObject({ event: 'question', data: { message: { text: 'Describe the polyp' } } });
    const deltas = events.filter((e) => e.event === 'delta');
    expect(deltas.length).toBeGreaterThanOrEqual(1);
    expect(deltas.map((d) => d.data.text).join('')).toBe(
      'The polyp at [0:03] looks small; the endoscopist decides.',
    );
    expect(events.at(-1)).toMatchObject({
      event: 'answer',
      data: { message: { role: 'assistant', source: 'model', citations: [{ tMs: 3000 }] } },
    });
    // The model saw the procedure's record.
    expect(seen[0]!.messages.at(-1)!.content).toContain(
      '{"t":"0:02","what":"polyp seen (score 0.90) from 0:02 to 0:04"}',
    );
  });

  it("gives the model the screen's current picture with a question about the procedure on it", async () => {
    // A red 64x36 preview, as the live screen's latest JPEG.
    const rgb = new Uint8Array(64 * 36 * 3).map((_, i) => (i % 3 === 0 ? 200 : 30));
    const jpeg = await encodeJpeg(
      { data: rgb, width: 64, height: 36, stride: 192, index: 0, ptsMs: 0 },
      { quality: 90 },
    );
    const seen: VlmRequest[] = [];
    const engine = new ScriptedVlmEngine(answering(seen, 'A reddish mucosa.'));
    const { post, start } = setUp(engine, jpeg);
    start();
    expect((await post({ text: 'What do we see?' })).status).toBe(201);
    const image = seen[0]!.messages.at(-1)!.image!;
    expect([image.width, image.height, image.rgb.length]).toEqual([896, 896, 896 * 896 * 3]);
    // Decoded and scaled with its aspect kept (black bands above and below), still red in the middle.
    const middle = (448 * 896 + 448) * 3;
    expect(image.rgb[middle]).toBeGreaterThan(150);
    expect(image.rgb[middle + 1]).toBeLessThan(80);
    expect(image.rgb[0]).toBeLessThan(20);
  });

  it('refuses bad requests with the reason, and a message before any procedure', async () => {
    const { app, post, start, chatEvents } = setUp();
    const error = async (res: Response) => [res.status, ((await res.json()) as { error: string }).error];
    expect(await error(await post({ text: 'hello' }))).toEqual([
      409,
      expect.stringMatching(/no procedure yet/),
    ]);
    start();
    expect(await error(await post('{not json'))).toEqual([400, 'body must be JSON']);
    expect(await error(await post({ text: '   ' }))).toEqual([
      400,
      'invalid request: text: must not be empty',
    ]);
    expect(await error(await post({ text: 'x'.repeat(8001) }))).toEqual([
      400,
      'invalid request: text: must be at most 8000 characters',
    ]);
    expect(await error(await post({ text: 'hi', sessionId: 'abc' }))).toEqual([
      400,
      'invalid request: sessionId: must be a UUID',
    ]);
    const unknown = randomUUID();
    expect(await error(await post({ text: 'hi', procedureId: unknown }))).toEqual([
      404,
      `no procedure ${unknown}`,
    ]);
    expect(await error(await post({}))).toEqual([400, expect.stringMatching(/^invalid request: text: /)]);
    expect(chatEvents()).toEqual([]);
    expect(await error(await app.request('/api/v1/chat/abc'))).toEqual([400, 'session id must be a UUID']);
    expect(await error(await app.request(`/api/v1/chat/${unknown}`))).toEqual([
      404,
      `no chat session ${unknown}`,
    ]);
    const status = await app.request('/api/v1/chat/status');
    expect(await status.json()).toEqual({
      model: { state: 'off', reason: 'no model in this test' },
      notice: expect.stringMatching(/not a diagnosis/),
    });
  });
});

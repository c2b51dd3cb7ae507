import { randomUUID } from 'node:crypto';
import { type AppEnv, installErrorHandler, requestContext } from '@gic/shared/http/request-context.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { ChatLog } from '../chat/chat-log.js';
import { ProcedureLog } from '../live/procedure-log.js';
import { SqliteOutbox } from '../outbox/sqlite-outbox.js';
import { openEdgeDatabase } from '../store/edge-database.js';
import { chatRoutes, NO_CHAT_MODEL } from './chat-routes.js';

function setUp() {
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
      messages: new ChatLog(db, outbox),
      currentProcedureId: () => screen.procedureId,
      recorded: () => notified++,
    }),
  );
  const post = (body: unknown) =>
    app.request('/api/v1/chat/message', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const chatEvents = () =>
    outbox
      .due(100, new Date())
      .filter((e) => e.type === 'chat.message')
      .map((e) => JSON.parse(e.payload));
  return { app, post, procedures, screen, chatEvents, notified: () => notified };
}

describe('edge chat routes', () => {
  it('stores the message for the procedure on the screen and says plainly that no model answers', async () => {
    const { app, post, procedures, screen, chatEvents, notified } = setUp();
    screen.procedureId = procedures.start({ kind: 'test' }, 'test pattern', {
      trigger: 'operator',
      operator: null,
    }).id;
    const res = await post({ text: '  Is this a sessile polyp?  ', by: 'dr.jones' });
    expect(res.status).toBe(201);
    const reply = (await res.json()) as { message: Record<string, string>; reply: unknown; reason: string };
    expect(reply.reply).toBeNull();
    expect(reply.reason).toBe(NO_CHAT_MODEL);
    expect(reply.message).toMatchObject({
      procedureId: screen.procedureId,
      role: 'user',
      text: 'Is this a sessile polyp?',
      by: 'dr.jones',
    });
    const { sessionId } = reply.message;
    expect(chatEvents()).toEqual([
      expect.objectContaining({
        procedureId: screen.procedureId,
        body: expect.objectContaining({ sessionId }),
      }),
    ]);
    expect(notified()).toBe(1);

    // A follow-up in the same session stays with that procedure, even once the screen shows another.
    const first = screen.procedureId;
    screen.procedureId = procedures.start({ kind: 'test' }, 'test pattern', {
      trigger: 'operator',
      operator: null,
    }).id;
    expect((await post({ sessionId, text: 'And its size?' })).status).toBe(201);
    const history = await app.request(`/api/v1/chat/${sessionId}`);
    expect(history.status).toBe(200);
    const body = (await history.json()) as { procedureId: string; messages: { text: string; by?: string }[] };
    expect(body.procedureId).toBe(first);
    expect(body.messages.map((m) => [m.text, m.by])).toEqual([
      ['Is this a sessile polyp?', 'dr.jones'],
      ['And its size?', undefined],
    ]);
  });

  it('refuses bad requests with the reason, and a message before any procedure', async () => {
    const { app, post, procedures, screen, chatEvents } = setUp();
    const error = async (res: Response) => [res.status, ((await res.json()) as { error: string }).error];
    expect(await error(await post({ text: 'hello' }))).toEqual([
      409,
      expect.stringMatching(/no procedure yet/),
    ]);
    screen.procedureId = procedures.start({ kind: 'test' }, 'test pattern', {
      trigger: 'operator',
      operator: null,
    }).id;
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
    expect(await error(await post({}))).toEqual([400, expect.stringMatching(/^invalid request: text: /)]);
    expect(chatEvents()).toEqual([]);
    expect(await error(await app.request('/api/v1/chat/abc'))).toEqual([400, 'session id must be a UUID']);
    const unknown = randomUUID();
    expect(await error(await app.request(`/api/v1/chat/${unknown}`))).toEqual([
      404,
      `no chat session ${unknown}`,
    ]);
  });
});
